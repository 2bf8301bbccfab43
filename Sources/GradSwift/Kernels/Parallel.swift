import CBLAS
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The library's thread budget: how many threads its parallel loops and its matrix products
/// (`ProductSplit`) use. It starts at `GRADSWIFT_NUM_THREADS` when that is a positive integer,
/// else at the number of cores (at most 8). OpenBLAS itself runs on one thread.
public enum ThreadBudget {
    private static let budget = Atomic<Int>(initial())

    /// The number of threads the engine's parallel loops use.
    public static var count: Int { budget.load(ordering: .relaxed) }

    /// Sets the budget to `threads` (at least 1).
    public static func set(_ threads: Int) throws {
        guard threads >= 1 && threads <= 1024 else {
            throw EngineError.invalidArgument("set_num_threads: the number of threads must be in 1...1024, got \(threads)")
        }
        budget.store(threads, ordering: .relaxed)
    }

    /// The environment's budget, or the core count; sets OpenBLAS to one thread.
    private static func initial() -> Int {
        openblas_set_num_threads(1)
        if let text = getenv("GRADSWIFT_NUM_THREADS").map({ String(cString: $0) }),
           let requested = Int(text), (1...1024).contains(requested) {
            return requested
        }
        return max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }
}

/// Splits index ranges over the budgeted threads for large workloads.
enum Parallel {
    /// Number of worker threads used for large kernels (the thread budget).
    static var threads: Int { ThreadBudget.count }

    /// Work below this many elements runs on the calling thread.
    static let minimumElements = 1 << 15

    /// Calls `body` on disjoint subranges covering `0..<count`, concurrently when `count` is large.
    @inline(__always)
    static func forRanges(_ count: Int, grain: Int = minimumElements, _ body: (Range<Int>) -> Void) {
        let pieces = min(threads, count / max(grain, 1))
        if pieces <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let lo = count * piece / pieces, hi = count * (piece + 1) / pieces
            body(lo..<hi)
        }
    }

    /// Number of pieces `forPieces` splits `count` items into (at least 1).
    static func pieceCount(_ count: Int, grain: Int) -> Int {
        max(1, min(threads, count / max(grain, 1)))
    }

    /// Calls `body(range)` for the consecutive ranges of `grain` items (the last one may be
    /// shorter) covering `0..<count`, as a parallel region (each chunk's products then run on its
    /// own thread). The budgeted threads take the ranges one at a time as they come free, so a
    /// thread that another process keeps off its core takes fewer, instead of the others
    /// waiting for its share.
    static func forChunks(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let size = max(grain, 1), chunks = (count + size - 1) / size
        let workers = min(threads, chunks)
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let next = Atomic<Int>(0)
        inRegion {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if chunk >= chunks { break }
                    body(chunk * size ..< min(count, (chunk + 1) * size))
                }
            }
        }
    }

    /// Calls `body(piece, range)` for `pieceCount(count, grain:)` disjoint ranges covering
    /// `0..<count` (not at all when `count` is 0), concurrently when there are several, as a
    /// parallel region (each piece's products then run on its own thread).
    static func forPieces(_ count: Int, grain: Int, _ body: (_ piece: Int, _ range: Range<Int>) -> Void) {
        let pieces = pieceCount(count, grain: grain)
        if pieces == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        inRegion {
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                body(piece, count * piece / pieces ..< count * (piece + 1) / pieces)
            }
        }
    }

    /// How many parallel regions run now, on any thread.
    private static let regions = Atomic<Int>(0)

    /// Whether a parallel region runs: products made meanwhile, by its pieces or by other
    /// threads, stay on their calling thread rather than split over cores already busy.
    static var isInRegion: Bool { regions.load(ordering: .relaxed) > 0 }

    /// `body()` as a parallel region: it splits its work over the threads itself.
    static func inRegion<R>(_ body: () throws -> R) rethrows -> R {
        regions.add(1, ordering: .relaxed)
        defer { regions.subtract(1, ordering: .relaxed) }
        return try body()
    }
}
