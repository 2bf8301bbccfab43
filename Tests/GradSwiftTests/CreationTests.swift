import XCTest
@testable import GradSwift

/// arange, linspace, eye, randint and randperm at the engine level.
final class CreationTests: XCTestCase {
    func testArangeCountsAndDtypes() throws {
        let ints = try Tensor.arange(start: 10, end: 0, step: -3, dtype: .int64)
        XCTAssertEqual(ints.shape, [4])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: ints.pointer(Int64.self), count: 4)), [10, 7, 4, 1])
        let floats = try Tensor.arange(start: 0, end: 1, step: 0.25, dtype: .float32)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: floats.pointer(Float.self), count: floats.count)), [0, 0.25, 0.5, 0.75])
        XCTAssertThrowsError(try Tensor.arange(start: 0, end: 1, step: 0, dtype: .float64))
        XCTAssertThrowsError(try Tensor.arange(start: 1, end: 0, step: 1, dtype: .float64))
        XCTAssertThrowsError(try Tensor.arange(start: 0, end: .infinity, step: 1, dtype: .float64))
    }

    func testLinspaceEndsExactlyAndEyeIsRectangular() throws {
        let line = try Tensor.linspace(start: -1, end: 0.3, steps: 7, dtype: .float64)
        XCTAssertEqual(line.pointer(Double.self)[0], -1)
        XCTAssertEqual(line.pointer(Double.self)[6], 0.3)
        let eye = try Tensor.eye(rows: 2, columns: 3, dtype: .float64)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: eye.pointer(Double.self), count: 6)), [1, 0, 0, 0, 1, 0])
        XCTAssertThrowsError(try Tensor.linspace(start: 0, end: 1, steps: -1, dtype: .float64))
    }

    func testRandintAndRandpermAreSeededAndInRange() throws {
        RandomGenerator.shared.seed(9)
        let a = try Tensor.randint(low: -3, high: 4, dtype: .int64, shape: [500])
        RandomGenerator.shared.seed(9)
        let b = try Tensor.randint(low: -3, high: 4, dtype: .int64, shape: [500])
        let values = Array(UnsafeBufferPointer(start: a.pointer(Int64.self), count: 500))
        XCTAssertEqual(values, Array(UnsafeBufferPointer(start: b.pointer(Int64.self), count: 500)))
        XCTAssertEqual(Set(values), Set(-3..<4))
        let perm = try Tensor.randperm(50, dtype: .int64)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: perm.pointer(Int64.self), count: 50)).sorted(), Array(0..<50))
        XCTAssertThrowsError(try Tensor.randint(low: 2, high: 2, dtype: .int64, shape: [1]))
        XCTAssertThrowsError(try Tensor.randperm(-1, dtype: .int64))
    }
}
