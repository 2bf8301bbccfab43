import GradSwift

/// Element types of tensors (`int32_t` codes in every function that takes a dtype).
@c public enum gs_dtype: Int32 {
    /// 32-bit IEEE float.
    case float32 = 0
    /// 64-bit IEEE float.
    case float64 = 1
    /// 64-bit signed integer.
    case int64 = 2
    /// Boolean, one byte holding 0 or 1.
    case bool = 3
    /// 16-bit IEEE float (stored; ops compute in float32 and round back).
    case float16 = 4
    /// 32-bit signed integer.
    case int32 = 5
    /// 16-bit signed integer.
    case int16 = 6
    /// 8-bit signed integer.
    case int8 = 7
    /// 8-bit unsigned integer (images).
    case uint8 = 8
}

/// The library's version (semantic versioning): the one place it is written. The Python
/// package's metadata (python/setup.py) and gradswift.pc (make install) read it from here.
let libraryVersion: (major: Int32, minor: Int32, patch: Int32) = (0, 2, 0)

/// Writes the library version (semantic versioning) to the three out-parameters.
@c(gs_version)
public func gsVersion(_ major: UnsafeMutablePointer<Int32>?, _ minor: UnsafeMutablePointer<Int32>?,
                      _ patch: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_version") {
        guard let major, let minor, let patch else { throw CallError.null("gs_version", "an out-parameter") }
        (major.pointee, minor.pointee, patch.pointee) = libraryVersion
    }
}

/// The calling thread's last error message; never NULL. Borrowed: valid until the next failing
/// call on this thread.
@c(gs_last_error)
public func gsLastError() -> UnsafePointer<CChar> {
    LastError.message
}

/// Writes the errno of the operating-system call behind the calling thread's last failing call
/// (a file that could not be opened, written, synced or renamed), or 0 when that failure had
/// another cause. Lets a binding raise its language's own error (Python: FileNotFoundError...).
/// A successful call does not change the last error.
@c(gs_last_errno)
public func gsLastErrno(_ code: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_last_errno") {
        guard let code else { throw CallError.null("gs_last_errno", "code") }
        code.pointee = LastError.errno
    }
}

/// Writes the number of live handles (of every kind) to `count`; for leak tests.
@c(gs_live_handles)
public func gsLiveHandles(_ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_live_handles") {
        guard let count else { throw CallError.null("gs_live_handles", "count") }
        count.pointee = Int64(Handles.shared.count)
    }
}

/// Reseeds the engine's random generator (used by gs_tensor_uniform and gs_tensor_normal).
@c(gs_manual_seed)
public func gsManualSeed(_ seed: UInt64) -> Int32 {
    RandomGenerator.shared.seed(seed)
    return gs_status.ok.rawValue
}

/// Sets the library's thread budget: the threads its parallel loops and large matrix products
/// use (1 to 1024; OpenBLAS itself runs on one thread). The budget starts at
/// `GRADSWIFT_NUM_THREADS` when set, else at the number of cores (at most 8).
@c(gs_set_num_threads)
public func gsSetNumThreads(_ threads: Int64) -> Int32 {
    guarded("gs_set_num_threads") { try ThreadBudget.set(Int(threads)) }
}

/// Writes the library's thread budget (gs_set_num_threads) to `threads`.
@c(gs_get_num_threads)
public func gsGetNumThreads(_ threads: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_get_num_threads") {
        guard let threads else { throw CallError.null("gs_get_num_threads", "threads") }
        threads.pointee = Int64(ThreadBudget.count)
    }
}

/// Writes the large-block cache's statistics (tensors of 1 MiB and more come from it), each
/// pointer may be NULL: bytes in use by tensors, bytes of freed blocks kept for reuse, the most
/// bytes ever in use at once, and the requests served from the cache (hits) or by fresh memory
/// (misses).
@c(gs_memory_stats)
public func gsMemoryStats(_ inUseBytes: UnsafeMutablePointer<Int64>?, _ cachedBytes: UnsafeMutablePointer<Int64>?,
                          _ peakInUseBytes: UnsafeMutablePointer<Int64>?, _ hits: UnsafeMutablePointer<Int64>?,
                          _ misses: UnsafeMutablePointer<Int64>?) -> Int32 {
    let stats = LargeBlocks.statistics()
    inUseBytes?.pointee = Int64(stats.inUseBytes)
    cachedBytes?.pointee = Int64(stats.cachedBytes)
    peakInUseBytes?.pointee = Int64(stats.peakInUseBytes)
    hits?.pointee = Int64(stats.hits)
    misses?.pointee = Int64(stats.misses)
    return gs_status.ok.rawValue
}

/// Gives the freed large blocks the cache keeps back to the system; writes the bytes freed to
/// `freed` (may be NULL).
@c(gs_empty_cache)
public func gsEmptyCache(_ freed: UnsafeMutablePointer<Int64>?) -> Int32 {
    let bytes = LargeBlocks.emptyCache()
    freed?.pointee = Int64(bytes)
    return gs_status.ok.rawValue
}

/// Sets the most bytes of freed large blocks the cache keeps (0: none; at least 0), unmapping
/// the blocks freed longest ago beyond it. It starts at `GRADSWIFT_CACHE_LIMIT_MB` MiB when that
/// is set, else at an eighth of physical memory.
@c(gs_set_cache_limit)
public func gsSetCacheLimit(_ bytes: Int64) -> Int32 {
    guarded("gs_set_cache_limit") { try LargeBlocks.setLimit(Int(bytes)) }
}

/// Writes the large-block cache's limit (gs_set_cache_limit) to `bytes`.
@c(gs_get_cache_limit)
public func gsGetCacheLimit(_ bytes: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_get_cache_limit") {
        guard let bytes else { throw CallError.null("gs_get_cache_limit", "bytes") }
        bytes.pointee = Int64(LargeBlocks.limit)
    }
}

/// Turns graph recording on or off for the calling thread (`no_grad`).
@c(gs_set_grad_enabled)
public func gsSetGradEnabled(_ enabled: Bool) -> Int32 {
    GradMode.isEnabled = enabled
    return gs_status.ok.rawValue
}

/// Writes whether the calling thread records graphs.
@c(gs_is_grad_enabled)
public func gsIsGradEnabled(_ enabled: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_is_grad_enabled") {
        guard let enabled else { throw CallError.null("gs_is_grad_enabled", "enabled") }
        enabled.pointee = GradMode.isEnabled
    }
}
