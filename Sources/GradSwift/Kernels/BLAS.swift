import CBLAS
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
        _ = ThreadBudget.count  // the first BLAS call applies GRADSWIFT_NUM_THREADS
        let lda = max(lda, transA ? m : k), ldb = max(ldb, transB ? k : n)
        // One row or one column of a large matrix: a matrix-vector product, which reads the
        // matrix once where gemm packs it first (a 1×1024 by 1024×1024 product took 156 us
        // through sgemm, 35-47 through sgemv). Below 2^16 elements gemm stays: sgemv wakes the
        // BLAS workers (1×1024 by 1024×10: 3.2 us through sgemm, 12-17 through sgemv).
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

    /// `gemm` for densely stored matrices, each leading dimension being its stored row length.
    @inline(__always)
    static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, beta: Self, _ c: UnsafeMutablePointer<Self>) {
        gemm(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, beta: beta, c, n)
    }
}

/// Runs OpenBLAS single-threaded while a body runs (nested and concurrent uses counted), for
/// callers that split the work over the cores themselves. BLAS calls made meanwhile by other
/// threads also run single-threaded.
enum BLASThreads {
    private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    nonisolated(unsafe) private static var users = 0
    nonisolated(unsafe) private static var saved: Int32 = 1

    /// `body()` with OpenBLAS on one thread; the previous thread count is restored after the
    /// last concurrent user finishes.
    static func serial<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        if users == 0 {
            saved = openblas_get_num_threads()
            openblas_set_num_threads(1)
        }
        users += 1
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            users -= 1
            if users == 0 { openblas_set_num_threads(saved) }
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }

    /// Sets OpenBLAS's thread count, or the count to restore after the current serial bodies.
    static func setCount(_ threads: Int32) {
        pthread_mutex_lock(mutex)
        if users == 0 { openblas_set_num_threads(threads) } else { saved = threads }
        pthread_mutex_unlock(mutex)
    }
}

