#if canImport(Glibc)
import Glibc
#endif

/// A block of raw memory owned by one or more tensors: memory of the library's own (64-byte
/// aligned from 64 bytes up), or memory lent by another library (DLPack), given back through
/// its release function.
public final class Storage {
    /// The first byte of the block.
    public let bytes: UnsafeMutableRawPointer
    /// The usable size in bytes.
    public let byteCount: Int
    /// For lent memory: gives it back when the last tensor using it is gone.
    private let release: (() -> Void)?

    /// Whether the memory is lent by another library (and may be seen through it).
    var isLent: Bool { release != nil }

    /// The alignment of blocks of at least this size (a cache line); smaller ones get malloc's.
    static let lineBytes = 64

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
        if byteCount < Storage.lineBytes {
            // Less than a cache line: malloc's 16-byte alignment fits every element type, and
            // an aligned request costs several times a plain one (a 4-element op allocates
            // a few such blocks per step).
            raw = malloc(max(byteCount, 1))
        } else if posix_memalign(&raw, Storage.lineBytes, byteCount) != 0 {
            raw = nil
        }
        guard let raw else {
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

/// Large blocks (1 MiB and up) come straight from the kernel (mmap), and freed ones are kept for
/// reuse: a training loop asks for the same sizes every step, and a reused block costs no page
/// faults. The cache is bounded and gives back what the current work does not reuse:
///
/// - A request takes the smallest kept block that fits. A larger one is split: the request gets
///   its first pages, the rest stays cached as a block of its own (or is unmapped when below
///   1 MiB). So a process that moves on to other shapes reuses the pages it already has instead
///   of mapping and faulting in new ones. But a loop's own sizes (sizes asked for before within
///   the window) do not split one another: a request of such a size that finds no block of its
///   size maps fresh pages rather than split a block of another such size. Splitting one sent
///   the next request of its size to fresh pages, and the loop took steps to settle (the
///   Transformer after the ConvNet missed a 33 MiB block in two more steps than alone). A
///   request of a new size may split any block, so a workload that follows another starts on
///   the pages the other one left.
/// - Kept bytes stay within the cap (`limit`: `GRADSWIFT_CACHE_LIMIT_MB` when the library loads,
///   else an eighth of physical memory; `setLimit`) and, beyond a 64 MiB floor, so that kept plus
///   used bytes stay within 3/2 of the most bytes ever in use at once (at a step's peak the cache
///   still holds blocks of sizes the step asks for again later: with less headroom they were
///   unmapped there and faulted in again every step). Over the limit, the blocks
///   freed longest ago are unmapped first, never the one just freed; a request that maps fresh
///   memory applies the limit too, so a process moving on to larger shapes gives back old blocks
///   as it maps new ones instead of holding both.
/// - A kept block not reused within `window` large requests is unmapped. The window follows the
///   work: four times the longest distance (in requests) between a block's release and its reuse
///   by a request of its size seen over the last two periods of a quarter window, at least 64,
///   shrinking by at most half per period; it doubles when a request asks for the size of a
///   block trimmed shortly before, so a loop with many large tensors per step keeps its blocks.
///
/// `emptyCache()` unmaps every kept block; so does a request that finds the system out of memory,
/// before it tries again. Through malloc, freed large blocks stayed in its heap
/// in pieces that later requests of other sizes often could not reuse, so the process grew by
/// tens of MiB more than its tensors needed.
///
/// With the environment variable `GRADSWIFT_PLAIN_MALLOC` set (to anything) when the library
/// loads, every block comes from malloc instead, so that valgrind and AddressSanitizer watch
/// large tensors too (`make ctest` and the fuzzing targets set it).
public enum LargeBlocks {
    /// Requests of at least this many bytes are large.
    static let threshold = getenv("GRADSWIFT_PLAIN_MALLOC") == nil ? 1 << 20 : Int.max
    /// Kept bytes may always reach this much (within the cap).
    static let keptFloor = 64 << 20
    /// Fresh zeroed blocks up to this size are populated when mapped.
    static let populateLimit = 256 << 20
    /// The smallest age window, in large requests.
    static let minimumWindow = 64

    /// A freed block kept for reuse.
    private struct Kept {
        let block: UnsafeMutableRawPointer
        let length: Int
        /// The request count when it was freed.
        let freedAt: Int
    }

    private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// Kept blocks, freed longest ago first.
    nonisolated(unsafe) private static var kept: [Kept] = []
    nonisolated(unsafe) private static var keptBytes = 0
    nonisolated(unsafe) private static var usedBytes = 0
    nonisolated(unsafe) private static var peakUsedBytes = 0
    nonisolated(unsafe) private static var hits = 0
    nonisolated(unsafe) private static var misses = 0
    nonisolated(unsafe) private static var cap = initialLimit()
    /// Large requests so far (the cache's clock).
    nonisolated(unsafe) private static var requests = 0
    nonisolated(unsafe) private static var window = 256
    /// The request count at which the current window's period ends.
    nonisolated(unsafe) private static var periodEnd = 64
    /// The longest release-to-reuse distance of the current and the previous period.
    nonisolated(unsafe) private static var longestReuse = 0
    nonisolated(unsafe) private static var previousLongestReuse = 0
    /// Lengths of blocks recently unmapped for age, with the request count then.
    nonisolated(unsafe) private static var trimmed: [(length: Int, at: Int)] = []
    /// The request count when this length was last asked for, for the lengths asked for within
    /// the window: the current work's sizes (see `take`).
    nonisolated(unsafe) private static var requestedAt: [Int: Int] = [:]

    /// `GRADSWIFT_CACHE_LIMIT_MB` in bytes when it is a non-negative integer, else an eighth of
    /// physical memory.
    private static func initialLimit() -> Int {
        if let text = getenv("GRADSWIFT_CACHE_LIMIT_MB").map({ String(cString: $0) }),
           let megabytes = Int(text), megabytes >= 0, megabytes <= Int.max >> 20 {
            return megabytes << 20
        }
        return Storage.allocationLimit == Int.max ? Int.max : Storage.allocationLimit / 8
    }

    /// The mapped length of a block of `byteCount` bytes: whole pages.
    private static func mappedLength(_ byteCount: Int) -> Int {
        let page = 4096
        return (byteCount + page - 1) / page * page
    }

    /// Removes the kept block at `index` from the books (the caller unmaps or uses it).
    private static func remove(at index: Int) -> Kept {
        let entry = kept.remove(at: index)
        keptBytes -= entry.length
        return entry
    }

    /// Kept blocks older than the window, and the oldest ones while kept bytes exceed `keptLimit`:
    /// taken off the books, returned for unmapping outside the lock.
    private static func evict(keptLimit: Int) -> [Kept] {
        var gone: [Kept] = []
        while let oldest = kept.first, requests - oldest.freedAt > window || keptBytes > keptLimit {
            if requests - oldest.freedAt > window {
                trimmed.append((oldest.length, requests))
            }
            gone.append(remove(at: 0))
        }
        trimmed.removeAll { requests - $0.at > window }
        return gone
    }

    /// How many bytes may stay kept now.
    private static func keptLimit() -> Int {
        min(cap, max(keptFloor, peakUsedBytes + peakUsedBytes / 2 - usedBytes))
    }

    /// True when `length` was asked for within the window (before the current request).
    private static func isLoopSize(_ length: Int) -> Bool {
        requestedAt[length].map { requests - $0 <= window } ?? false
    }

    /// Advances the clock by one request, and the window at the end of each period (a quarter
    /// window long: two periods span at least one step of a loop whose blocks are reused every
    /// step, so the window shrinks within a few steps once the work no longer reuses far back).
    private static func tick() {
        requests += 1
        if requests >= periodEnd {
            window = max(minimumWindow, 4 * max(longestReuse, previousLongestReuse), window / 2)
            previousLongestReuse = longestReuse
            longestReuse = 0
            periodEnd = requests + window / 4
            requestedAt = requestedAt.filter { requests - $0.value <= window }
        }
    }

    /// A block of at least `byteCount` bytes (zero-filled when `zeroed`), nil when the system
    /// has no memory for it.
    static func take(_ byteCount: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        let length = mappedLength(byteCount)
        var reused: UnsafeMutableRawPointer?
        var unmap: [(UnsafeMutableRawPointer, Int)] = []
        pthread_mutex_lock(mutex)
        tick()
        var best: Int?
        let loopRequest = isLoopSize(length)  // a size of the current work: it gets a block of its own
        requestedAt[length] = requests
        for (index, entry) in kept.enumerated() where entry.length >= length {
            let splitsLoopBlock = entry.length > length && loopRequest && isLoopSize(entry.length)
            if !splitsLoopBlock, best == nil || entry.length <= kept[best!].length {
                best = index  // the smallest that fits, the most recently freed among equals
            }
        }
        if let best {
            let entry = remove(at: best)
            reused = entry.block
            let rest = entry.length - length
            if rest == 0 {  // a loop reusing its sizes; a split says nothing about that distance
                longestReuse = max(longestReuse, requests - entry.freedAt)
            }
            if rest >= threshold {
                let tail = Kept(block: entry.block + length, length: rest, freedAt: entry.freedAt)
                kept.insert(tail, at: kept.firstIndex { $0.freedAt > tail.freedAt } ?? kept.count)
                keptBytes += rest
            } else if rest > 0 {
                unmap.append((entry.block + length, rest))
            }
            hits += 1
        } else {
            if trimmed.contains(where: { $0.length == length }) {
                window = min(window * 2, 1 << 24)  // a size trimmed too early: keep blocks longer
                periodEnd = requests + window / 4
                trimmed.removeAll()
            }
            misses += 1
        }
        usedBytes += length
        peakUsedBytes = max(peakUsedBytes, usedBytes)
        let gone = evict(keptLimit: keptLimit())
        pthread_mutex_unlock(mutex)
        for (block, length) in unmap { munmap(block, length) }
        for entry in gone { munmap(entry.block, entry.length) }
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
        var mapped = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0)
        if mapped == MAP_FAILED {  // the cached blocks may be what the system is missing
            emptyCache()
            mapped = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0)
        }
        guard let mapped, mapped != MAP_FAILED else {
            pthread_mutex_lock(mutex)
            usedBytes -= length
            pthread_mutex_unlock(mutex)
            return nil
        }
        return mapped
    }

    /// Returns a block from `take`: kept for reuse (evicting older blocks beyond the limit), or
    /// unmapped when it alone exceeds the limit.
    static func give(_ block: UnsafeMutableRawPointer, _ byteCount: Int) {
        let length = mappedLength(byteCount)
        pthread_mutex_lock(mutex)
        usedBytes -= length
        let limit = keptLimit()
        let keep = length <= limit
        if keep {
            kept.append(Kept(block: block, length: length, freedAt: requests))
            keptBytes += length
        }
        let gone = evict(keptLimit: limit)
        pthread_mutex_unlock(mutex)
        if !keep { munmap(block, length) }
        for entry in gone { munmap(entry.block, entry.length) }
    }

    /// The most bytes the cache keeps (`GRADSWIFT_CACHE_LIMIT_MB`, or an eighth of physical memory).
    public static var limit: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return cap
    }

    /// Sets the most bytes the cache keeps (0: none), unmapping the oldest kept blocks beyond it.
    public static func setLimit(_ bytes: Int) throws {
        guard bytes >= 0 else {
            throw EngineError.invalidArgument("set_cache_limit: the limit must be at least 0 bytes, got \(bytes)")
        }
        pthread_mutex_lock(mutex)
        cap = bytes
        let gone = evict(keptLimit: keptLimit())
        pthread_mutex_unlock(mutex)
        for entry in gone { munmap(entry.block, entry.length) }
    }

    /// What the large-block cache holds and has done (bytes of whole pages).
    public struct Statistics: Sendable {
        /// Bytes of large blocks in use by tensors.
        public let inUseBytes: Int
        /// Bytes of freed large blocks kept for reuse.
        public let cachedBytes: Int
        /// The most bytes of large blocks ever in use at once.
        public let peakInUseBytes: Int
        /// Requests served by a kept block (whole or split).
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
        kept = []
        keptBytes = 0
        pthread_mutex_unlock(mutex)
        for entry in blocks { munmap(entry.block, entry.length) }
        return freed
    }
}
