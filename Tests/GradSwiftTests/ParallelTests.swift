import Foundation
import XCTest
@testable import GradSwift

/// The engine's parallel loops hand out every index exactly once.
final class ParallelTests: XCTestCase {
    func testChunksCoverEveryIndexOnceInRangesOfTheGrain() {
        for (count, grain) in [(0, 4), (1, 4), (7, 3), (512, 4), (1000, 1), (5, 10)] {
            let lock = NSLock()
            var hits = [Int](repeating: 0, count: count), ranges: [Range<Int>] = []
            Parallel.forChunks(count, grain: grain) { range in
                lock.lock()
                ranges.append(range)
                for i in range { hits[i] += 1 }
                lock.unlock()
            }
            XCTAssertEqual(hits, Array(repeating: 1, count: count), "count \(count) grain \(grain)")
            // Every range starts at a multiple of the grain and is a whole grain, but the last.
            XCTAssertTrue(ranges.allSatisfy { $0.lowerBound % grain == 0 && ($0.count == grain || $0.upperBound == count) },
                          "count \(count) grain \(grain): \(ranges)")
        }
    }
}
