import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The float types OpenBLAS multiplies: Float through `cblas_sgemm` / `cblas_sgemv`, Double
/// through `cblas_dgemm` / `cblas_dgemv`. `gemm` below is the engine's only way to call them, so
/// kernels written once over `T: BLASScalar` serve both dtypes.
protocol BLASScalar: FloatElement {
    /// The raw row-major `cblas_?gemm` call with arguments passed through unchanged; use `gemm`,
    /// which validates them first.
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                          _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    /// The raw row-major `cblas_?gemv` call (y = alpha·op(A)·x + beta·y, A stored m×n); `gemm`
    /// makes it for products with one row or one column.
    static func cblasGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Self, _ a: UnsafePointer<Self>,
                          _ lda: Int32, _ x: UnsafePointer<Self>, _ incx: Int32, _ beta: Self,
                          _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
}

extension Float: BLASScalar {
    @inline(__always)
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                          _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @inline(__always)
    static func cblasGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Float, _ a: UnsafePointer<Float>,
                          _ lda: Int32, _ x: UnsafePointer<Float>, _ incx: Int32, _ beta: Float,
                          _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_sgemv(CblasRowMajor, trans, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
}

extension Double: BLASScalar {
    @inline(__always)
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @inline(__always)
    static func cblasGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Double, _ a: UnsafePointer<Double>,
                          _ lda: Int32, _ x: UnsafePointer<Double>, _ incx: Int32, _ beta: Double,
                          _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_dgemv(CblasRowMajor, trans, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
}

extension BLASScalar {
    /// `C = alpha·op(A)·op(B) + beta·C` for row-major matrices: `op(A)` is m×k (A is stored
    /// k×m when `transA`), `op(B)` is k×n (stored n×k when `transB`), C is m×n, and `lda`,
    /// `ldb`, `ldc` are the distances between consecutive stored rows.
    ///
    /// As in BLAS, beta = 0 overwrites C (NaN included) instead of scaling it. Nothing happens
    /// when m or n is 0; when k is 0 the product is empty and C becomes beta·C, without a
    /// BLAS call. A leading dimension below the smallest BLAS accepts (the stored row length,
    /// at least 1) is raised to it: it only matters for a matrix with one stored row, where no
    /// second row is addressed. m, n, k and the leading dimensions must fit in Int32 (callers
    /// check their sizes).
    @inline(__always)
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Self = 1,
                     _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                     beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int) {
        guard m > 0 && n > 0 else { return }
        let ldc = max(ldc, n)
        guard k > 0 else {
            if beta == 1 { return }
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 {
                    row.update(repeating: 0, count: n)
                } else {
                    for j in 0..<n { row[j] *= beta }
                }
            }
            return
        }
        let lda = max(lda, transA ? m : k), ldb = max(ldb, transB ? k : n)
        let pieces = ProductSplit.pieces(m, n, k)
        if pieces.count > 1 {
            split(pieces, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else {
            onCaller(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// `gemm` for densely stored matrices, each leading dimension being its stored row length.
    @inline(__always)
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, beta: Self, _ c: UnsafeMutablePointer<Self>) {
        gemm(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, beta: beta, c, n)
    }

    /// `gemm` in `pieces`, each multiplied on its own thread by single-threaded BLAS: blocks of
    /// C's rows (op(A)'s rows), of its columns (op(B)'s columns) or of the inner dimension.
    /// Inner pieces after the first write their partial products to scratch, added to C at the
    /// end in piece order (so the sum is the same from run to run).
    @inline(never)
    private static func split(_ pieces: ProductSplit, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                              _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                              _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int) {
        let partials = pieces.axis == .inner ? pieces.count - 1 : 0
        let scratch = UnsafeMutablePointer<Self>.allocate(capacity: partials * m * n)
        defer { scratch.deallocate() }
        Parallel.inRegion {
            DispatchQueue.concurrentPerform(iterations: pieces.count) { piece in
                let lo = pieces.start(piece), width = pieces.start(piece + 1) - lo
                switch pieces.axis {
                case .rows:
                    onCaller(transA, transB, width, n, k, alpha, transA ? a + lo : a + lo * lda, lda, b, ldb,
                             beta, c + lo * ldc, ldc)
                case .columns:
                    onCaller(transA, transB, m, width, k, alpha, a, lda, transB ? b + lo * ldb : b + lo, ldb,
                             beta, c + lo, ldc)
                case .inner:
                    let (out, ldOut) = piece == 0 ? (c, ldc) : (scratch + (piece - 1) * m * n, n)
                    onCaller(transA, transB, m, n, width, alpha, transA ? a + lo * lda : a + lo, lda,
                             transB ? b + lo : b + lo * ldb, ldb, piece == 0 ? beta : 0, out, ldOut)
                }
            }
        }
        for partial in 0..<partials {
            let from = scratch + partial * m * n
            for i in 0..<m {
                let row = c + i * ldc, source = from + i * n
                for j in 0..<n { row[j] += source[j] }
            }
        }
    }

    /// `gemm` on the calling thread, leading dimensions already checked: a matrix-vector product
    /// for one row or one column of a large matrix, else `cblas_?gemm`.
    @inline(__always)
    private static func onCaller(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                                 _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                                 _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int) {
        // One row or one column of a large matrix: a matrix-vector product, which reads the
        // matrix once where gemm packs it first (a 1×1024 by 1024×1024 product took 156 us
        // through sgemm, 35-47 through sgemv). Below 2^16 elements gemm stays, as measured when
        // OpenBLAS ran its own threads (a 1×1024 by 1024×10 product: 3.2 us through sgemm).
        let vectorProduct = (m == 1 || n == 1) && (m == 1 ? n : m) * k >= 1 << 16
        if vectorProduct && m == 1 {  // c (1×n) = op(B)ᵀ·a, a's elements lda apart when transA
            cblasGemv(transB ? CblasNoTrans : CblasTrans, Int32(transB ? n : k), Int32(transB ? k : n), alpha,
                      b, Int32(ldb), a, Int32(transA ? lda : 1), beta, c, 1)
        } else if vectorProduct {  // c (m×1, elements ldc apart) = op(A)·b, b's elements ldb apart unless transB
            cblasGemv(transA ? CblasTrans : CblasNoTrans, Int32(transA ? k : m), Int32(transA ? m : k), alpha,
                      a, Int32(lda), b, Int32(transB ? 1 : ldb), beta, c, Int32(ldc))
        } else {
            cblasGemm(transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}

/// How a product splits over the thread budget. OpenBLAS itself runs on one thread (the first
/// product sets it so): the engine's own threads share out its large products, as they do its
/// other loops, so no second pool of BLAS threads waits, spins or competes with them for the
/// cores, and a piece whose thread is late is taken by a thread that is free.
struct ProductSplit {
    /// Products of fewer multiply-adds stay on the calling thread (about 80 us on one core):
    /// handing a piece to another thread costs tens of microseconds on a 2-core VM, and
    /// products of 2^20-2^21 took 1.1-1.6 times as long split as on one thread, while from
    /// about 2^21.3 on they took 0.7-0.85 (docs/performance.md).
    static let minimumWork = 5 << 19
    /// A piece spans at least this many rows, columns or inner indices.
    static let minimumSpan = 32

    /// What a product splits along.
    enum Axis {
        /// Blocks of C's rows: every piece packs all of op(B).
        case rows
        /// Blocks of C's columns: every piece packs all of op(A).
        case columns
        /// Blocks of the inner dimension: every piece but the first makes a partial C, added
        /// to C at the end.
        case inner
    }

    /// The number of pieces, 1 when the product is not split.
    let count: Int
    /// What the pieces are blocks of.
    let axis: Axis
    /// The length of the dimension split.
    let span: Int

    /// The split of an m×k by k×n product over the thread budget, along the dimension whose
    /// extra cost per piece is the least: op(B) (k·n elements) packed again for rows, op(A)
    /// (m·k) for columns, a partial C written and read (2·m·n) for the inner dimension. None
    /// for a small product, nor inside a parallel region.
    static func pieces(_ m: Int, _ n: Int, _ k: Int) -> ProductSplit {
        let threads = ThreadBudget.count  // (its first read sets OpenBLAS to one thread)
        let (axis, span) = k * n <= m * k && k * n <= 2 * m * n ? (Axis.rows, m)
            : m * k <= 2 * m * n ? (Axis.columns, n) : (Axis.inner, k)
        guard threads > 1, m * n * k >= minimumWork, !Parallel.isInRegion else {
            return ProductSplit(count: 1, axis: axis, span: span)
        }
        return ProductSplit(count: max(1, min(threads, span / minimumSpan)), axis: axis, span: span)
    }

    /// The first index of `piece` (`span` for `count`), on a multiple of 16 (whole kernel tiles).
    func start(_ piece: Int) -> Int {
        piece >= count ? span : (span * piece / count) & ~15
    }
}
