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

    /// One row or one column of a large matrix goes through gemv: every transposition and
    /// stride against a plain triple loop, with alpha and beta.
    func testVectorProductsMatchTheLoopInEveryLayout() {
        let (long, short) = (300, 256)  // 300·256 elements: above the gemv threshold of 2^16
        for (m, n) in [(1, short), (short, 1)] {
            checkEveryLayout(m, n, long)
        }
    }

    /// Large products split over the thread budget, along C's rows, its columns or the inner
    /// dimension, in pieces whose bounds fall on multiples of 16; with three threads, every
    /// layout against the loop.
    func testSplitProductsMatchTheLoopInEveryLayout() throws {
        let before = ThreadBudget.count
        try ThreadBudget.set(3)
        defer { try? ThreadBudget.set(before) }
        let rows = ProductSplit.pieces(200, 40, 400)
        XCTAssertEqual([rows.count, rows.start(0), rows.start(1), rows.start(2), rows.start(3)], [3, 0, 64, 128, 200])
        XCTAssertEqual(rows.axis, .rows)
        XCTAssertEqual(ProductSplit.pieces(40, 210, 400).axis, .columns)
        XCTAssertEqual(ProductSplit.pieces(40, 50, 1500).axis, .inner)
        XCTAssertEqual(ProductSplit.pieces(40, 40, 40).count, 1)  // small: on the caller
        XCTAssertEqual(Parallel.inRegion { ProductSplit.pieces(200, 40, 400).count }, 1)
        for (m, n, k) in [(200, 40, 400), (40, 210, 400), (40, 50, 1500), (1, 4100, 700), (4100, 1, 700)] {
            XCTAssertGreaterThanOrEqual(m * n * k, ProductSplit.minimumWork)
            checkEveryLayout(m, n, k)
        }
    }

    /// `gemm` of an m×k by k×n product against a plain triple loop, for every transposition,
    /// with padded leading dimensions, alpha and beta (integer values: exact in any order).
    private func checkEveryLayout(_ m: Int, _ n: Int, _ k: Int) {
        for transA in [false, true] {
            for transB in [false, true] {
                let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 1
                let a = (0..<((transA ? k : m) * lda)).map { Double(($0 * 7) % 11) - 5 }
                let b = (0..<((transB ? n : k) * ldb)).map { Double(($0 * 5) % 13) - 6 }
                var c = (0..<(m * ldc)).map { Double($0 % 3) }
                var want = c
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            sum += a[transA ? p * lda + i : i * lda + p] * b[transB ? j * ldb + p : p * ldb + j]
                        }
                        want[i * ldc + j] = 2 * sum + 0.5 * want[i * ldc + j]
                    }
                }
                c.withUnsafeMutableBufferPointer { cp in
                    Double.gemm(transA, transB, m, n, k, alpha: 2, a, lda, b, ldb, beta: 0.5, cp.baseAddress!, ldc)
                }
                XCTAssertEqual(c, want, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB)")
            }
        }
    }

    func testBatchesOfSmallProductsSharedAmongTheCoresMatchTheLoop() throws {
        // 8 x 16 broadcast batches of 20 x 64 x 30 products: too small to be split each, so
        // `batchedProduct` splits the batches among the cores.
        let (n, k, m) = (20, 64, 30)
        XCTAssertLessThan(n * k * m, ProductSplit.minimumWork)
        XCTAssertGreaterThan(8 * 16 * n * k * m, 2 * Ops.chunkWork)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let aValues = (0..<(8 * n * k)).map { Double(($0 * 7) % 11) - 5 }
            let bValues = (0..<(16 * k * m)).map { Double(($0 * 5) % 13) - 6 }
            let a = try tensor(aValues, [8, 1] + (transA ? [k, n] : [n, k]))
            let b = try tensor(bValues, [1, 16] + (transB ? [m, k] : [k, m]))
            let product = values(try Ops.matmul(a, b, transposeA: transA, transposeB: transB))
            XCTAssertEqual(product.count, 8 * 16 * n * m)
            var mismatches = 0
            for i in 0..<8 {
                for j in 0..<16 {
                    for r in 0..<n {
                        for c in 0..<m {
                            var sum = 0.0
                            for p in 0..<k {
                                sum += aValues[i * n * k + (transA ? p * n + r : r * k + p)]
                                    * bValues[j * k * m + (transB ? c * k + p : p * m + c)]
                            }
                            if product[((i * 16 + j) * n + r) * m + c] != sum { mismatches += 1 }
                        }
                    }
                }
            }
            XCTAssertEqual(mismatches, 0, "transA \(transA) transB \(transB)")
        }
    }
}
