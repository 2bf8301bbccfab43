import XCTest
@testable import GradSwift

/// The contract of the engine's one BLAS product, `BLASScalar.gemm`, at its edges.
final class BLASTests: XCTestCase {
    func testProductWithLeadingDimensions() {
        // op(A) = Aᵀ with A 2×3 stored with row stride 4; B 2×2 dense; C 3×2 with row stride 3.
        let a: [Double] = [1, 2, 3, -9, 4, 5, 6, -9]
        let b: [Double] = [1, 0, 1, 1]
        var c: [Double] = [1, 1, -7, 1, 1, -7, 1, 1, -7]
        c.withUnsafeMutableBufferPointer { cp in
            Double.gemm(true, false, 3, 2, 2, alpha: 2, a, 4, b, 2, beta: 1, cp.baseAddress!, 3)
        }
        // Row i of Aᵀ·B is (a0i + a1i, a1i); C = 2·Aᵀ·B + C, the padding column untouched.
        XCTAssertEqual(c, [11, 9, -7, 15, 11, -7, 19, 13, -7])
    }

    func testEmptyInnerDimensionScalesC() {
        let none: [Float] = []
        var c: [Float] = [1, 2, -7, 3, 4, -7]
        c.withUnsafeMutableBufferPointer { cp in
            Float.gemm(false, false, 2, 2, 0, none, 0, none, 0, beta: 3, cp.baseAddress!, 3)
        }
        XCTAssertEqual(c, [3, 6, -7, 9, 12, -7])
        var nan: [Float] = [.nan, .infinity, .nan, 5]
        nan.withUnsafeMutableBufferPointer { cp in
            Float.gemm(false, true, 2, 2, 0, none, 0, none, 0, beta: 0, cp.baseAddress!, 0)
        }
        XCTAssertEqual(nan, [0, 0, 0, 0])
    }

    func testEmptyOutputIsUntouchedAndOneRowNeedsNoStride() {
        var c: [Double] = [.nan]
        c.withUnsafeMutableBufferPointer { cp in
            Double.gemm(false, false, 0, 1, 1, [1], 1, [1], 1, beta: 0, cp.baseAddress!, 1)
            Double.gemm(false, false, 1, 0, 1, [1], 1, [1], 1, beta: 0, cp.baseAddress!, 1)
        }
        XCTAssertTrue(c[0].isNaN)
        // One row of A and of C: leading dimensions of 0 are raised to what BLAS accepts.
        var row: [Double] = [0, 0]
        row.withUnsafeMutableBufferPointer { cp in
            Double.gemm(false, false, 1, 2, 2, [1, 2], 0, [1, 2, 3, 4], 2, beta: 0, cp.baseAddress!, 0)
        }
        XCTAssertEqual(row, [7, 10])
    }
}
