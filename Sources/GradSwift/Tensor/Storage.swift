#if canImport(Glibc)
import Glibc
#endif

/// A block of raw memory owned by one or more tensors: 64-byte aligned memory of the library's
/// own, or memory lent by another library (DLPack), given back through its release function.
public final class Storage {
    /// The first byte of the block.
    public let bytes: UnsafeMutableRawPointer
    /// The usable size in bytes.
    public let byteCount: Int
    /// For lent memory: gives it back when the last tensor using it is gone.
    private let release: (() -> Void)?

    /// Requests larger than this fail with `outOfMemory` instead of being overcommitted.
    static let allocationLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? pages * pageSize : Int.max
    }()

    /// Allocates `byteCount` bytes (uninitialised unless `zeroed`).
    public init(byteCount: Int, zeroed: Bool = false, op: String = "allocate") throws {
        guard byteCount >= 0, byteCount <= Storage.allocationLimit else {
            throw EngineError.outOfMemory("\(op): cannot allocate \(byteCount) bytes")
        }
        self.byteCount = byteCount
        self.release = nil
        if byteCount >= LargeBlocks.threshold {
            guard let block = LargeBlocks.take(byteCount, zeroed: zeroed) else {
                throw EngineError.outOfMemory("\(op): cannot allocate \(byteCount) bytes")
            }
            self.bytes = block
            return
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(byteCount, 64)) == 0, let raw else {
            throw EngineError.outOfMemory("\(op): cannot allocate \(byteCount) bytes")
        }
        if zeroed { memset(raw, 0, byteCount) }
        self.bytes = raw
    }

    /// Memory lent by its owner: `byteCount` bytes at `bytes`, used in place, and `release()`
    /// called once when no tensor uses it any more.
    public init(lent bytes: UnsafeMutableRawPointer, byteCount: Int, release: @escaping () -> Void) {
        self.bytes = bytes
        self.byteCount = byteCount
        self.release = release
    }

    deinit {
        if let release {
            release()
        } else if byteCount >= LargeBlocks.threshold {
            LargeBlocks.give(bytes, byteCount)
        } else {
            free(bytes)
        }
    }
}

/// Large blocks (1 MiB and up) come straight from the kernel (mmap) and go back to it when
/// freed, except that freed blocks are kept for reuse by a later request of the same page-rounded
/// size: a training loop asks for the same sizes every step, and a reused block costs no page
/// faults. A freed block is kept while kept plus used bytes stay within the most ever used at
/// once, or within 64 MiB more than in use: the process never maps more than its tensors once
/// needed together (plus 64 MiB). As with a caching allocator, that memory stays with the
/// process after its tensors are gone; blocks of a size no longer asked for are not reused.
///
/// Through malloc, freed large blocks stay in its heap in pieces that later requests of other
/// sizes often cannot reuse, so the process grew by tens of MiB more than its tensors needed.
///
/// With the environment variable `GRADSWIFT_PLAIN_MALLOC` set (to anything) when the library
/// loads, every block comes from malloc instead, so that valgrind and AddressSanitizer watch
/// large tensors too (`make ctest` and the fuzzing targets set it).
public enum LargeBlocks {
    /// Requests of at least this many bytes are large.
    static let threshold = getenv("GRADSWIFT_PLAIN_MALLOC") == nil ? 1 << 20 : Int.max
    /// Kept bytes may always reach this much.
    static let keptFloor = 64 << 20
    /// Fresh zeroed blocks up to this size are populated when mapped.
    static let populateLimit = 256 << 20

    private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// Kept blocks by mapped length (no empty lists).
    nonisolated(unsafe) private static var kept: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var keptBytes = 0
    nonisolated(unsafe) private static var usedBytes = 0
    nonisolated(unsafe) private static var peakUsedBytes = 0
    nonisolated(unsafe) private static var hits = 0
    nonisolated(unsafe) private static var misses = 0

    /// The mapped length of a block of `byteCount` bytes: whole pages.
    private static func mappedLength(_ byteCount: Int) -> Int {
        let page = 4096
        return (byteCount + page - 1) / page * page
    }

    /// A block of at least `byteCount` bytes (zero-filled when `zeroed`), nil when the system
    /// has no memory for it.
    static func take(_ byteCount: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        let length = mappedLength(byteCount)
        var reused: UnsafeMutableRawPointer?
        pthread_mutex_lock(mutex)
        if var blocks = kept[length] {
            reused = blocks.removeLast()
            kept[length] = blocks.isEmpty ? nil : blocks
            keptBytes -= length
            hits += 1
        } else {
            misses += 1
        }
        usedBytes += length
        peakUsedBytes = max(peakUsedBytes, usedBytes)
        pthread_mutex_unlock(mutex)
        if let reused {
            if zeroed { memset(reused, 0, byteCount) }
            return reused
        }
        // Fresh pages arrive zero-filled. A zeroed block is usually about to be accumulated into
        // (read, then written); its pages are populated now: otherwise each page would first map
        // the shared zero page and then fault again, with a TLB flush on every core, to be
        // copied. Huge ones stay lazy, so that a zero tensor never written costs no memory.
        let populate = zeroed && length <= populateLimit
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0),
              mapped != MAP_FAILED else {
            pthread_mutex_lock(mutex)
            usedBytes -= length
            pthread_mutex_unlock(mutex)
            return nil
        }
        return mapped
    }

    /// Returns a block from `take`: kept for reuse, or unmapped.
    static func give(_ block: UnsafeMutableRawPointer, _ byteCount: Int) {
        let length = mappedLength(byteCount)
        pthread_mutex_lock(mutex)
        usedBytes -= length
        let keep = keptBytes + length <= max(keptFloor, peakUsedBytes - usedBytes)
        if keep {
            kept[length, default: []].append(block)
            keptBytes += length
        }
        pthread_mutex_unlock(mutex)
        if !keep { munmap(block, length) }
    }

    /// What the large-block cache holds and has done (bytes of whole pages).
    public struct Statistics: Sendable {
        /// Bytes of large blocks in use by tensors.
        public let inUseBytes: Int
        /// Bytes of freed large blocks kept for reuse.
        public let cachedBytes: Int
        /// The most bytes of large blocks ever in use at once.
        public let peakInUseBytes: Int
        /// Requests served by a kept block.
        public let hits: Int
        /// Requests that mapped fresh memory.
        public let misses: Int
    }

    /// The cache's current statistics.
    public static func statistics() -> Statistics {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return Statistics(inUseBytes: usedBytes, cachedBytes: keptBytes, peakInUseBytes: peakUsedBytes,
                          hits: hits, misses: misses)
    }

    /// Gives every kept block back to the system (`torch.cuda.empty_cache`); returns the bytes freed.
    @discardableResult
    public static func emptyCache() -> Int {
        pthread_mutex_lock(mutex)
        let blocks = kept
        let freed = keptBytes
        kept = [:]
        keptBytes = 0
        pthread_mutex_unlock(mutex)
        for (length, list) in blocks { for block in list { munmap(block, length) } }
        return freed
    }
}
