import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The float types OpenBLAS multiplies: Float through `cblas_sgemm`, Double through
/// `cblas_dgemm`. `gemm` below is the engine's only way to call them, so kernels written once
/// over `T: BLASScalar` serve both dtypes.
protocol BLASScalar: FloatElement {
    /// The raw row-major `cblas_?gemm` call with arguments passed through unchanged; use `gemm`,
    /// which validates them first.
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                          _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
}

extension Float: BLASScalar {
    @inline(__always)
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                          _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: BLASScalar {
    @inline(__always)
    static func cblasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                          _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
        cblasGemm(transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                  Int32(m), Int32(n), Int32(k), alpha,
                  a, Int32(max(lda, transA ? m : k)), b, Int32(max(ldb, transB ? k : n)), beta, c, Int32(ldc))
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

