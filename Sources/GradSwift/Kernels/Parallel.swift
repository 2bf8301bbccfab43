import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits index ranges over the machine's cores for large workloads.
enum Parallel {
    /// Number of worker threads used for large kernels.
    static let threads: Int = max(1, min(8, sysconfCores()))

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

    /// Calls `body(piece, range)` for `pieceCount(count, grain:)` disjoint ranges covering
    /// `0..<count` (not at all when `count` is 0), concurrently when there are several, with
    /// OpenBLAS single-threaded meanwhile (each piece's BLAS calls then run on its own core).
    static func forPieces(_ count: Int, grain: Int, _ body: (_ piece: Int, _ range: Range<Int>) -> Void) {
        let pieces = pieceCount(count, grain: grain)
        if pieces == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        BLASThreads.serial {
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                body(piece, count * piece / pieces ..< count * (piece + 1) / pieces)
            }
        }
    }

    private static func sysconfCores() -> Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
