import XCTest
@testable import GradSwift

final class StructureTests: XCTestCase {
    func testReductionsOverAxes() throws {
        let x = try tensor((0..<24).map(Double.init), [2, 3, 4], requiresGrad: true)
        XCTAssertEqual(try Ops.sum(x, axes: [0, 2]).shape, [3])
        assertClose(values(try Ops.sum(x, axes: [0, 2])), [60, 92, 124])
        XCTAssertEqual(try Ops.reduce(.mean, x, axes: [1], keepDims: true).shape, [2, 1, 4])
        assertClose(values(try Ops.reduce(.max, x, axes: [-1], keepDims: false)), [3, 7, 11, 15, 19, 23])
        let arg = try Ops.reduce(.argmax, x, axes: nil, keepDims: false)
        XCTAssertEqual(arg.dtype, .int64)
        XCTAssertEqual(arg.pointer(Int64.self)[0], 23)
        try Ops.sum(try Ops.reduce(.mean, x, axes: [0, 2], keepDims: false)).backward()
        assertClose(values(x.grad!), Array(repeating: 1.0 / 8, count: 24))
    }

    func testMatmulShapesAndGradients() throws {
        let a = try tensor([1, 2, 3, 4, 5, 6], [2, 3], requiresGrad: true)
        let v = try tensor([1, 0, -1], [3], requiresGrad: true)
        let y = try Ops.matmul(a, v)
        XCTAssertEqual(y.shape, [2])
        assertClose(values(y), [-2, -2])
        try Ops.sum(y).backward()
        assertClose(values(a.grad!), [1, 0, -1, 1, 0, -1])
        assertClose(values(v.grad!), [5, 7, 9])
        let batch = try tensor(Array(repeating: 1, count: 24), [2, 1, 3, 4])
        let w = try tensor(Array(repeating: 2, count: 40), [5, 4, 2])
        XCTAssertEqual(try Ops.matmul(batch, w).shape, [2, 5, 3, 2])
    }

    func testIndexingFollowsNumPy() throws {
        let x = try tensor((0..<12).map(Double.init), [3, 4], requiresGrad: true)
        assertClose(values(try Ops.index(x, [.int(-1)])), [8, 9, 10, 11])
        assertClose(values(try Ops.index(x, [.ellipsis, .slice(start: nil, stop: nil, step: -2)])), [3, 1, 7, 5, 11, 9])
        let rows = try integers([0, 0, 2], [3])
        let picked = try Ops.index(x, [.tensor(rows), .int(1)])
        assertClose(values(picked), [1, 1, 9])
        try Ops.sum(picked).backward()
        assertClose(values(x.grad!), [0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
        XCTAssertEqual(try Ops.index(x, [.slice(start: nil, stop: nil, step: nil), .newAxis, .tensor(rows)]).shape, [3, 1, 3])
        XCTAssertThrowsError(try Ops.index(x, [.int(3)]))
    }

    func testBackwardSemantics() throws {
        let x = try tensor([2], [], requiresGrad: true)
        let y = try Ops.add(try Ops.mul(x, x), try Ops.binary(.mul, x, scalar: 3, kind: .int))
        try y.backward(retainGraph: true)
        assertClose(values(x.grad!), [7])
        try y.backward()
        assertClose(values(x.grad!), [14])
        XCTAssertThrowsError(try y.backward())
        XCTAssertThrowsError(try Ops.mul(x, try tensor([1, 2], [2])).backward())
        let ints = try integers([1], [1])
        XCTAssertThrowsError(try ints.setRequiresGrad(true))
    }

    func testConcatAndSplitRoundTrip() throws {
        let a = try tensor([1, 2, 3, 4], [2, 2], requiresGrad: true)
        let b = try tensor([5, 6], [2, 1], requiresGrad: true)
        let c = try Ops.concat([a, b], axis: 1)
        assertClose(values(c), [1, 2, 5, 3, 4, 6])
        let parts = try Ops.split(c, boundaries: [1], axis: 1)
        assertClose(values(parts[1]), [2, 5, 4, 6])
        try Ops.sum(parts[1]).backward()
        assertClose(values(a.grad!), [0, 1, 0, 1])
        assertClose(values(b.grad!), [1, 1])
    }

    func testBackwardRefusesInputsReboundToAnotherShape() throws {
        let x = try tensor([1, 2, 3], [3], requiresGrad: true)
        let y = try Ops.sum(try Ops.index(x, [.tensor(try integers([2], [1]))]))
        let replacement: [Double] = [1]
        try replacement.withUnsafeBytes { try x.replaceData(with: $0.baseAddress, dtype: .float64, shape: [1]) }
        XCTAssertThrowsError(try y.backward()) { error in
            guard case .invalidState(let message)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("input 0 of 'index'"), message)
        }
    }

    func testLongChainIsFreedWithoutStackOverflow() throws {
        let x = try tensor([1], [1], requiresGrad: true)
        var y = x
        for _ in 0..<200_000 { y = try Ops.binary(.add, y, scalar: 1, kind: .int) }
        y = x  // dropping the chain must not recurse once per node
        XCTAssertEqual(y.count, 1)
    }
}
