import XCTest
@testable import GradSwift

/// The backward walk's sums of the gradients of a tensor used by several ops: made in the first
/// gradient's memory when nothing else can see it, never in a gradient someone else holds.
final class GradientSumTests: XCTestCase {
    /// `u` and `v` summed by a custom op whose backward gives both the same `g` (or, with
    /// `view`, `g` and a tensor sharing its memory).
    private func pairSum(_ u: Tensor, _ v: Tensor, view: Bool) throws -> Tensor {
        let sum = try GradMode.with(enabled: false) { try u + v }
        return try CustomFunction.apply(name: "PairSum", inputs: [u, v], outputs: [sum]) { g in
            [g[0], view ? try Ops.reshape(g[0], g[0].shape) : g[0]]
        }[0]
    }

    func testASumOfFreshGradientsIsMadeInTheMemoryOfOneOfThem() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let u = try x * 1
        var fresh: [UnsafeMutableRawPointer] = []
        /// `u` times `factor`, whose backward makes a new gradient and notes where it lives.
        func scaled(_ factor: Double) throws -> Tensor {
            let out = try GradMode.with(enabled: false) { try u * factor }
            return try CustomFunction.apply(name: "Scale", inputs: [u], outputs: [out]) { g in
                let gradient = try g[0] * factor
                fresh.append(gradient.storage.bytes)
                return [gradient]
            }[0]
        }
        var total: (values: [Double], memory: UnsafeMutableRawPointer)?
        try u.registerHook { g in total = (values(g), g.storage.bytes); return nil }
        try Ops.sum(try scaled(2) + scaled(3)).backward()
        let seen = try XCTUnwrap(total)
        assertClose(seen.values, [5, 5])
        XCTAssertEqual(fresh.count, 2)
        XCTAssertTrue(fresh.contains(seen.memory), "the sum went to new memory")
        assertClose(values(try XCTUnwrap(x.grad)), [5, 5])
    }

    func testTheSameGradientGivenToTwoTensorsIsNotSummedInPlace() throws {
        for view in [false, true] {
            for pairFirst in [false, true] {
                let x = try tensor([1, 2], [2], requiresGrad: true)
                let u = try x * 2, v = try x * 3
                let pair = try Ops.sum(try pairSum(u, v, view: view)), product = try Ops.sum(try u * v)
                try (pairFirst ? pair + product : product + pair).backward()
                // d/dx of Σ(u + v) + Σ u·v = 2(1 + v) + 3(1 + u) = 5 + 12x
                assertClose(values(try XCTUnwrap(x.grad)), [17, 29])
            }
        }
        for view in [false, true] {  // the same for leaves, whose sums the walk collects
            let p = try tensor([1, 2], [2], requiresGrad: true), q = try tensor([3, 4], [2], requiresGrad: true)
            try (try Ops.sum(try pairSum(p, q, view: view)) + Ops.sum(try p * q)).backward()
            assertClose(values(try XCTUnwrap(p.grad)), [4, 5])  // 1 + q
            assertClose(values(try XCTUnwrap(q.grad)), [2, 3])  // 1 + p
        }
    }

    func testGradientsKeptByHooksRetainedGradsAndTheSeedStayAsTheyWere() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true), zero = try tensor([0, 0], [2])
        let u = try x * 1
        let w = try u + zero  // passes its gradient on to u unchanged
        var hooked: Tensor?
        try w.registerHook { g in hooked = g; return nil }
        try w.retainGrad()
        let seed = try tensor([1, 10], [2])
        let y = try w + u * 3
        try y.backward(gradient: seed)
        assertClose(values(seed), [1, 10])
        assertClose(values(try XCTUnwrap(hooked)), [1, 10])
        assertClose(values(try XCTUnwrap(w.grad)), [1, 10])
        assertClose(values(try XCTUnwrap(x.grad)), [4, 40])
    }

    func testAGradientANodeKeepsForAnotherBackwardIsNotSummedInPlace() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let u = try x * 1
        let constant = try tensor([7, 8], [2])
        let out = try GradMode.with(enabled: false) { try u * 0 }
        let fixed = try CustomFunction.apply(name: "Fixed", inputs: [u], outputs: [out]) { _ in [constant] }[0]
        let loss = try Ops.sum(try fixed + u * 3)
        try loss.backward(retainGraph: true)
        assertClose(values(try XCTUnwrap(x.grad)), [10, 11])
        try loss.backward()
        assertClose(values(constant), [7, 8])
        assertClose(values(try XCTUnwrap(x.grad)), [20, 22])
    }

    func testSumsRecordedUnderCreateGraphDifferentiateAgain() throws {
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let u = try x * 1
        let y = try Ops.sum(try u * u + u * u * u)  // u used by four products
        let first = try XCTUnwrap(Autograd.grad(of: [y], withRespectTo: [x], createGraph: true)[0])
        assertClose(values(first), [5, 16])  // 2x + 3x²
        XCTAssertNotNil(first.gradFn)
        let second = try XCTUnwrap(Autograd.grad(of: [try Ops.sum(first)], withRespectTo: [x])[0])
        assertClose(values(second), [8, 14])  // 2 + 6x
    }
}
