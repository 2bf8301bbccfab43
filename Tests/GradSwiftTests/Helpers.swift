import XCTest
@testable import GradSwift

/// A float64 tensor from values and a shape.
func tensor(_ values: [Double], _ shape: [Int], requiresGrad: Bool = false) throws -> Tensor {
    let t = try values.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .float64, shape: shape) }
    try t.setRequiresGrad(requiresGrad)
    return t
}

/// An int64 tensor from values and a shape.
func integers(_ values: [Int64], _ shape: [Int]) throws -> Tensor {
    try values.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .int64, shape: shape) }
}

/// The elements of a float64 tensor.
func values(_ t: Tensor) -> [Double] {
    precondition(t.dtype == .float64)
    return Array(UnsafeBufferPointer(start: t.pointer(Double.self), count: t.count))
}

/// Asserts two arrays are equal within `tolerance`.
func assertClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (x, y) in zip(a, b) {
        XCTAssertEqual(x, y, accuracy: tolerance * max(1, abs(y)), "\(a) vs \(b)", file: file, line: line)
    }
}
