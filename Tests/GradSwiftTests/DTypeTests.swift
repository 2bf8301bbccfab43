import XCTest
@testable import GradSwift

/// The storage dtypes: NumPy's promotion table, casts, and float16 / narrow integers computed
/// in float32 / int64 and rounded or wrapped back.
final class DTypeTests: XCTestCase {
    func testPromotionFollowsNumPy() {
        let expected: [(DType, DType, DType)] = [
            (.uint8, .int8, .int16), (.uint8, .int16, .int16), (.uint8, .int32, .int32), (.int8, .int32, .int32),
            (.int8, .float16, .float16), (.uint8, .float16, .float16), (.int16, .float16, .float32),
            (.int32, .float16, .float64), (.int32, .float32, .float64), (.int16, .float32, .float32),
            (.int64, .float32, .float64), (.float16, .float32, .float32), (.bool, .uint8, .uint8),
            (.bool, .float16, .float16), (.float16, .float64, .float64),
        ]
        for (a, b, result) in expected {
            XCTAssertEqual(DType.promote(a, b), result, "\(a.name) with \(b.name)")
            XCTAssertEqual(DType.promote(b, a), result, "\(b.name) with \(a.name)")
        }
        XCTAssertEqual(DType.int8.floatResult, .float16)
        XCTAssertEqual(DType.bool.floatResult, .float16)
        XCTAssertEqual(DType.int16.floatResult, .float32)
        XCTAssertEqual(DType.int32.quotientResult, .float64)
        XCTAssertEqual(ScalarKind.int.dtype(with: .uint8), .uint8)
        XCTAssertEqual(ScalarKind.float.dtype(with: .int8), .float64)
        XCTAssertEqual(ScalarKind.float.dtype(with: .float16), .float16)
    }

    func testCastsWrapAndRoundAsNumPy() throws {
        let wide = try Tensor.copying([Int64(300), -129, 255, 70000], dtype: .int64, shape: [4])
        let bytes = try Ops.cast(wide, to: .uint8)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: bytes.pointer(UInt8.self), count: 4)), [44, 127, 255, 112])
        let signed = try Ops.cast(wide, to: .int8)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: signed.pointer(Int8.self), count: 4)), [44, 127, -1, 112])
        let doubles = try Tensor.copying([0.1, 65520.0, 2049.0, -1.5], dtype: .float64, shape: [4])
        let half = try Ops.cast(doubles, to: .float16)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: half.pointer(Float16.self), count: 4)),
                       [Float16(0.1), .infinity, 2048, -1.5])
        let back = try Ops.cast(half, to: .int32)
        XCTAssertEqual(back.pointer(Int32.self)[3], -1)
    }

    func testNarrowArithmeticComputesWideAndComesBack() throws {
        let a = try Tensor.copying([Int8(100), -128], dtype: .int8, shape: [2])
        let sum = try Ops.add(a, a)
        XCTAssertEqual(sum.dtype, .int8)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: sum.pointer(Int8.self), count: 2)), [-56, 0])
        let total = try Ops.sum(a)
        XCTAssertEqual(total.dtype, .int64)
        XCTAssertEqual(total.pointer(Int64.self)[0], -28)
        XCTAssertEqual(try Ops.reduce(.max, a, axes: nil, keepDims: false).dtype, .int8)
        XCTAssertThrowsError(try Ops.binary(.add, a, scalar: 300, kind: .int))
    }

    func testFloat16GradientsAreFloat16() throws {
        let x = try Tensor.copying([Float16(1.5), 2.25], dtype: .float16, shape: [2])
        try x.setRequiresGrad(true)
        let y = try Ops.sum(try Ops.mul(x, x))
        XCTAssertEqual(y.dtype, .float16)
        XCTAssertEqual(y.pointer(Float16.self)[0], Float16(Float(1.5 * 1.5 + 2.25 * 2.25)))
        try y.backward()
        let grad = try XCTUnwrap(x.grad)
        XCTAssertEqual(grad.dtype, .float16)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: grad.pointer(Float16.self), count: 2)), [3, 4.5])
    }

    func testHalfLayersRunInSingle() throws {
        let x = try Ops.cast(try Tensor.uniform(low: -1, high: 1, dtype: .float32, shape: [3, 4]), to: .float16)
        let w = try Ops.cast(try Tensor.uniform(low: -1, high: 1, dtype: .float32, shape: [4, 2]), to: .float16)
        let out = try Ops.linear(x, weight: w, bias: nil)
        XCTAssertEqual(out.dtype, .float16)
        let reference = try Ops.cast(try Ops.matmul(try Ops.cast(x, to: .float32), try Ops.cast(w, to: .float32)), to: .float16)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: out.pointer(Float16.self), count: 6)),
                       Array(UnsafeBufferPointer(start: reference.pointer(Float16.self), count: 6)))
        XCTAssertEqual(try Ops.softmax(x, axis: 1).dtype, .float16)
    }
}
