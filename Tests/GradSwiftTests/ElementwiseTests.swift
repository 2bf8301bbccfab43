import XCTest
@testable import GradSwift

final class ElementwiseTests: XCTestCase {
    func testBroadcastAddAndGradientReducesToInputShapes() throws {
        let a = try tensor([1, 2, 3, 4, 5, 6], [2, 3], requiresGrad: true)
        let b = try tensor([10, 20, 30], [3], requiresGrad: true)
        let c = try Ops.add(a, b)
        XCTAssertEqual(c.shape, [2, 3])
        assertClose(values(c), [11, 22, 33, 14, 25, 36])
        try Ops.sum(try Ops.mul(c, c)).backward()
        assertClose(values(a.grad!), values(c).map { 2 * $0 })
        assertClose(values(b.grad!), [2 * (11 + 14), 2 * (22 + 25), 2 * (33 + 36)])
    }

    func testPromotionFollowsNumPy2() throws {
        let f32 = try Tensor.full(1, dtype: .float32, shape: [2])
        let i64 = try Tensor.full(3, dtype: .int64, shape: [2])
        XCTAssertEqual(try Ops.add(f32, i64).dtype, .float64)
        XCTAssertEqual(try Ops.add(f32, try Tensor.full(1, dtype: .bool, shape: [])).dtype, .float32)
        XCTAssertEqual(try Ops.add(f32, try Tensor.full(1, dtype: .float64, shape: [])).dtype, .float64)
        XCTAssertEqual(try Ops.div(i64, i64).dtype, .float64)
        XCTAssertEqual(try Ops.binary(.mul, f32, scalar: 0.5, kind: .float).dtype, .float32)
        XCTAssertEqual(try Ops.binary(.mul, i64, scalar: 0.5, kind: .float).dtype, .float64)
        XCTAssertEqual(try Ops.binary(.add, i64, scalar: 2, kind: .int).dtype, .int64)
        XCTAssertEqual(try Ops.binary(.lt, i64, scalar: 2.5, kind: .float).dtype, .bool)
    }

    func testUnaryGradients() throws {
        let x = try tensor([0.5, 1.5, 2.0], [3], requiresGrad: true)
        let cases: [((Tensor) throws -> Tensor, (Double) -> Double)] = [
            (Ops.exp, { Foundation_exp($0) }), (Ops.log, { 1 / $0 }), (Ops.sqrt, { 0.5 / $0.squareRoot() }),
            (Ops.tanh, { 1 - Foundation_tanh($0) * Foundation_tanh($0) }),
            (Ops.sigmoid, { let s = 1 / (1 + Foundation_exp(-$0)); return s * (1 - s) }),
        ]
        for (op, derivative) in cases {
            x.zeroGrad()
            try Ops.sum(try op(x)).backward()
            assertClose(values(x.grad!), values(x).map(derivative), tolerance: 1e-12)
        }
    }

    func testPowGradientWithRespectToBothOperands() throws {
        let x = try tensor([1.5, 2.0], [2], requiresGrad: true)
        let y = try tensor([3.0], [1], requiresGrad: true)
        try Ops.sum(try Ops.binary(.pow, x, y)).backward()
        assertClose(values(x.grad!), [3 * 1.5 * 1.5, 3 * 4.0])
        assertClose(values(y.grad!), [Foundation_pow(1.5, 3) * Foundation_log(1.5) + 8 * Foundation_log(2.0)])
    }

    func testMaximumSplitsGradientOnTies() throws {
        let a = try tensor([1, 5, 3], [3], requiresGrad: true)
        let b = try tensor([2, 5, 1], [3], requiresGrad: true)
        try Ops.sum(try Ops.binary(.maximum, a, b)).backward()
        assertClose(values(a.grad!), [0, 0.5, 1])
        assertClose(values(b.grad!), [1, 0.5, 0])
    }

    func testShapeMismatchNamesTheShapes() throws {
        let a = try tensor([1, 2, 3], [3]), b = try tensor([1, 2], [2])
        XCTAssertThrowsError(try Ops.add(a, b)) { error in
            XCTAssertEqual(error as? EngineError, .shapeMismatch("add: operands could not be broadcast together with shapes (3,) (2,)"))
        }
    }

    func testInPlaceRulesAndCasting() throws {
        let a = try tensor([1, 2], [2], requiresGrad: true)
        XCTAssertThrowsError(try Ops.inPlace(.add, a, try tensor([1], [1])))
        try GradMode.with(enabled: false) { try Ops.inPlace(.add, a, try tensor([1], [1])) }
        assertClose(values(a), [2, 3])
        let ints = try integers([1, 2], [2])
        XCTAssertThrowsError(try Ops.inPlace(.div, ints, ints))
    }
}

import Glibc
private func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
private func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
private func Foundation_tanh(_ x: Double) -> Double { Glibc.tanh(x) }
private func Foundation_pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
