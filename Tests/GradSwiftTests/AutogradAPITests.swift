import XCTest
@testable import GradSwift

/// The autograd API beyond one backward: `backward(gradient:createGraph:)`, `Autograd.grad`,
/// hooks, retained gradients and custom functions.
final class AutogradAPITests: XCTestCase {
    func testSecondDerivativeOfACube() throws {
        let x = try tensor([-1, 0.5, 2], [3], requiresGrad: true)
        let y = try Ops.sum(try x * x * x)
        let first = try XCTUnwrap(Autograd.grad(of: [y], withRespectTo: [x], createGraph: true)[0])
        assertClose(values(first), [3, 0.75, 12])
        let second = try XCTUnwrap(Autograd.grad(of: [try Ops.sum(first)], withRespectTo: [x])[0])
        assertClose(values(second), [-6, 3, 12])  // 6x
        XCTAssertNil(x.grad)  // grad() leaves .grad alone
    }

    func testWalksOfMoreNodesThanTheLinearIndexHoldGiveExactGradients() throws {
        // Twelve doublings, each node using its input twice, then a diamond: the walk's
        // bookkeeping moves from its linear search to a dictionary past eight nodes.
        let x = try tensor([1, -2], [2], requiresGrad: true)
        var y = x
        for _ in 0..<12 { y = try y + y }
        let z = try Ops.sum(try y * y + y)
        try z.backward()
        // z = Σ (4096x)² + 4096x, so dz/dx = 2·4096²·x + 4096.
        assertClose(values(try XCTUnwrap(x.grad)), [2 * 4096 * 4096 + 4096, -2 * 2 * 4096 * 4096 + 4096])
    }

    func testIdentityIndexNumbersObjectsInOrderAcrossItsLinearLimit() throws {
        let objects = try (0..<20).map { _ in try Tensor(shape: [1], dtype: .float32) }
        var index = IdentityIndex()
        for (k, object) in objects.enumerated() {
            XCTAssertNil(index[ObjectIdentifier(object)])
            XCTAssertTrue(index.insert(ObjectIdentifier(object)))
            XCTAssertFalse(index.insert(ObjectIdentifier(object)), "added twice")
            XCTAssertEqual(index[ObjectIdentifier(object)], k)
        }
        for (k, object) in objects.enumerated() { XCTAssertEqual(index[ObjectIdentifier(object)], k) }
        XCTAssertEqual(IdentityIndex(objects)[ObjectIdentifier(objects[13])], 13)
    }

    func testBackwardWithAGradientAndCreateGraph() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let y = try x * x
        XCTAssertThrowsError(try y.backward()) { XCTAssertTrue("\($0)".contains("pass gradient of shape (2,)"), "\($0)") }
        XCTAssertThrowsError(try y.backward(gradient: try tensor([1, 1, 1], [3]))) {
            XCTAssertTrue("\($0)".contains("gradient has shape (3,) but the output has shape (2,)"), "\($0)")
        }
        var seen: Tensor?
        try x.registerHook { g in seen = g; return nil }
        try y.backward(gradient: try tensor([1, 10], [2]), createGraph: true)
        let grad = try XCTUnwrap(x.grad)
        assertClose(values(grad), [2, 40])
        XCTAssertNil(grad.gradFn)  // values only: a recorded .grad would hold x, a cycle
        let recorded = try XCTUnwrap(seen)  // what the hook saw is recorded: 2x·g
        let x2 = try XCTUnwrap(Autograd.grad(of: [try Ops.sum(recorded)], withRespectTo: [x])[0])
        assertClose(values(x2), [2, 20])
    }

    func testCreateGraphBackwardLeavesNoCycle() throws {
        weak var leaf: Tensor?
        do {
            let x = try tensor([1, 2], [2], requiresGrad: true)
            leaf = x
            try Ops.sum(try x * x).backward(createGraph: true)
            assertClose(values(try XCTUnwrap(x.grad)), [2, 4])
        }
        XCTAssertNil(leaf)  // freed with its gradient
    }

    func testGradGoesThroughIntermediateInputsAndReportsUnusedOnes() throws {
        let x = try tensor([3], [1], requiresGrad: true), unused = try tensor([1], [1], requiresGrad: true)
        let h = try x * x, y = try Ops.sum(try h * x)  // y = x³ through h = x²
        let found = try Autograd.grad(of: [y], withRespectTo: [h, x, unused], retainGraph: true, allowUnused: true)
        assertClose(values(try XCTUnwrap(found[0])), [3])   // ∂y/∂h = x
        assertClose(values(try XCTUnwrap(found[1])), [27])  // dy/dx = 3x², through h too
        XCTAssertNil(found[2])
        XCTAssertThrowsError(try Autograd.grad(of: [y], withRespectTo: [unused])) {
            XCTAssertTrue("\($0)".contains("allow_unused=True"), "\($0)")
        }
    }

    func testHooksSeeAndReplaceGradientsAndRetainedGradsAccumulate() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let y = try x * 3
        var seen: [[Double]] = []
        let id = try y.registerHook { g in seen.append(values(g)); return try g * 2 }
        try y.retainGrad()
        try x.registerHook { g in seen.append(values(g)); return nil }
        let loss = try Ops.sum(y)
        try loss.backward(retainGraph: true)
        XCTAssertEqual(seen, [[1, 1], [6, 6]])
        assertClose(values(try XCTUnwrap(y.grad)), [2, 2])  // after the hook
        assertClose(values(try XCTUnwrap(x.grad)), [6, 6])
        XCTAssertTrue(y.removeHook(id))
        XCTAssertFalse(y.removeHook(id))
        try loss.backward()
        assertClose(values(try XCTUnwrap(y.grad)), [3, 3])
        assertClose(values(try XCTUnwrap(x.grad)), [9, 9])
        let z = try x * 1
        _ = try z.registerHook { g in try Ops.sum(g) }
        XCTAssertThrowsError(try Ops.sum(z).backward()) { XCTAssertTrue("\($0)".contains("hook returned a gradient of shape ()"), "\($0)") }
    }

    func testCustomFunctionTwiceAndItsErrors() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let cube = try CustomFunction.apply(name: "Cube", inputs: [x], outputs: [try GradMode.with(enabled: false) { try x * x * x }]) {
            [try $0[0] * 3 * x * x]
        }[0]
        XCTAssertEqual(cube.gradFn?.name, "Cube")
        let first = try XCTUnwrap(Autograd.grad(of: [try Ops.sum(cube)], withRespectTo: [x], createGraph: true)[0])
        assertClose(values(first), [3, 12])
        assertClose(values(try XCTUnwrap(Autograd.grad(of: [try Ops.sum(first)], withRespectTo: [x])[0])), [6, 12])

        let wrongCount = try CustomFunction.apply(name: "Two", inputs: [x], outputs: [x.detached()]) { g in [g[0], g[0]] }[0]
        XCTAssertThrowsError(try Ops.sum(wrongCount).backward()) { XCTAssertTrue("\($0)".contains("Two: backward returned 2 gradients for 1 inputs"), "\($0)") }
        let wrongShape = try CustomFunction.apply(name: "Sum", inputs: [x], outputs: [x.detached()]) { g in [try Ops.sum(g[0])] }[0]
        XCTAssertThrowsError(try Ops.sum(wrongShape).backward()) { XCTAssertTrue("\($0)".contains("shape () for input 0 of shape (2,)"), "\($0)") }
        XCTAssertNil(x.grad)  // failed backwards changed nothing
    }
}
