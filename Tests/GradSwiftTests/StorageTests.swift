import XCTest
@testable import GradSwift

final class StorageTests: XCTestCase {
    func testLargeZeroedBlockIsZeroEvenWhenReused() throws {
        let count = LargeBlocks.threshold / 4 + 100
        var dirty: Storage? = try Storage(byteCount: count * 4, op: "test")
        let address = dirty!.bytes
        dirty!.bytes.assumingMemoryBound(to: Float.self).update(repeating: 7, count: count)
        dirty = nil
        let clean = try Storage(byteCount: count * 4, zeroed: true, op: "test")
        XCTAssertEqual(clean.bytes, address, "a freed block of the same size is reused")
        let values = UnsafeBufferPointer(start: clean.bytes.assumingMemoryBound(to: Float.self), count: count)
        XCTAssertTrue(values.allSatisfy { $0 == 0 })
    }

    func testBlocksOfOtherSizesAreNotReusedAndAllAreWritable() throws {
        var blocks: [Storage] = []
        for megabytes in [1, 2, 3, 2, 1] {
            let block = try Storage(byteCount: megabytes << 20, zeroed: true, op: "test")
            block.bytes.storeBytes(of: 1, toByteOffset: (megabytes << 20) - 1, as: UInt8.self)
            XCTAssertFalse(blocks.contains { $0.bytes == block.bytes })
            blocks.append(block)
        }
        blocks.removeAll()
        // Far more than may be kept: freeing these unmaps most of them and nothing breaks.
        let many = try (0..<40).map { _ in try Storage(byteCount: 8 << 20, op: "test") }
        for block in many { block.bytes.storeBytes(of: 2, toByteOffset: (8 << 20) - 1, as: UInt8.self) }
    }

    func testImpossibleLargeRequestIsAnError() {
        XCTAssertThrowsError(try Storage(byteCount: Int.max / 2, op: "test"))
    }
}
