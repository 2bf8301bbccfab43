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
        if LargeBlocks.threshold != Int.max {  // not under GRADSWIFT_PLAIN_MALLOC
            XCTAssertEqual(clean.bytes, address, "a freed block of the same size is reused")
        }
        let values = UnsafeBufferPointer(start: clean.bytes.assumingMemoryBound(to: Float.self), count: count)
        XCTAssertTrue(values.allSatisfy { $0 == 0 })
    }

    func testSmallBlocksAreWritableAndCacheLineBlocksAligned() throws {
        let blocks = try (0..<200).map { try Storage(byteCount: $0, zeroed: true, op: "test") }
        for block in blocks where block.byteCount > 0 {
            let bytes = UnsafeMutableBufferPointer(start: block.bytes.assumingMemoryBound(to: UInt8.self), count: block.byteCount)
            XCTAssertTrue(bytes.allSatisfy { $0 == 0 })
            bytes.update(repeating: UInt8(block.byteCount))
            XCTAssertEqual(Int(bitPattern: block.bytes) % 8, 0, "every element type fits")
            if block.byteCount >= Storage.lineBytes { XCTAssertEqual(Int(bitPattern: block.bytes) % 64, 0) }
        }
        for block in blocks where block.byteCount > 0 {
            XCTAssertEqual(block.bytes.load(fromByteOffset: block.byteCount - 1, as: UInt8.self), UInt8(block.byteCount))
        }
    }

    func testLiveBlocksAreDistinctAndAllAreWritable() throws {
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

    func testCacheLimitBoundsKeptBytesAndRefusesNegativeValues() throws {
        guard LargeBlocks.threshold != Int.max else { return }  // GRADSWIFT_PLAIN_MALLOC: no cache
        let before = LargeBlocks.limit
        defer { try? LargeBlocks.setLimit(before) }
        try LargeBlocks.setLimit(5 << 20)
        var blocks = try [3, 2, 4, 1].map { try Storage(byteCount: $0 << 20, op: "test") }
        blocks.removeAll()  // 10 MiB freed: the blocks freed last are kept, within 5 MiB
        XCTAssertLessThanOrEqual(LargeBlocks.statistics().cachedBytes, 5 << 20)
        XCTAssertGreaterThan(LargeBlocks.statistics().cachedBytes, 0)
        XCTAssertThrowsError(try LargeBlocks.setLimit(-1))
        XCTAssertEqual(LargeBlocks.limit, 5 << 20)
        try LargeBlocks.setLimit(0)
        XCTAssertEqual(LargeBlocks.statistics().cachedBytes, 0)
    }

    func testImpossibleLargeRequestIsAnError() {
        XCTAssertThrowsError(try Storage(byteCount: Int.max / 2, op: "test"))
    }
}

final class TransposingCopyTests: XCTestCase {
    /// Every element of `a.transpose(perm)` against index arithmetic, for shapes that take the
    /// tiled path (sides not multiples of the tile, several leading axes) and ones that do not.
    func testTransposesMatchIndexArithmetic() throws {
        let cases: [([Int], [Int])] = [([37, 53], [1, 0]), ([64, 64], [1, 0]), ([5, 40, 33], [0, 2, 1]),
                                       ([3, 9, 4, 70], [0, 2, 3, 1]), ([6, 44, 4, 16], [0, 2, 1, 3]),
                                       ([2, 3, 100, 50], [3, 1, 0, 2]), ([7, 5], [1, 0]), ([1, 300, 1, 9], [3, 2, 1, 0])]
        for (shape, perm) in cases {
            let count = shape.reduce(1, *)
            let a = try tensor((0..<count).map(Double.init), shape)
            let t = try Ops.transpose(a, axes: perm)
            let outShape = perm.map { shape[$0] }
            XCTAssertEqual(t.shape, outShape)
            let inStrides = Shape.strides(shape)
            var expected = [Double](repeating: 0, count: count)
            for flat in 0..<count {
                var rest = flat, source = 0
                for axis in stride(from: outShape.count - 1, through: 0, by: -1) {
                    source += rest % outShape[axis] * inStrides[perm[axis]]
                    rest /= outShape[axis]
                }
                expected[flat] = Double(source)
            }
            XCTAssertEqual(values(t), expected, "shape \(shape), perm \(perm)")
            for dtype in [DType.float32, .int64, .bool] {
                let cast = try Ops.cast(a, to: dtype)
                let back = try Ops.cast(try Ops.transpose(cast, axes: perm), to: .float64)
                let want = dtype == .bool ? expected.map { $0 == 0 ? 0 : 1 } : expected
                XCTAssertEqual(values(back), want, "shape \(shape), perm \(perm), \(dtype)")
            }
        }
    }
}
