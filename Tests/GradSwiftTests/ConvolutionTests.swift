import XCTest
@testable import GradSwift

final class ConvolutionTests: XCTestCase {
    /// conv2d of a 3×3 ramp with the 2×2 "diagonal" kernel: each output is x[i][j] + x[i+1][j+1].
    func testConv2dValuesAndGradients() throws {
        let x = try tensor((1...9).map(Double.init), [1, 1, 3, 3], requiresGrad: true)
        let w = try tensor([1, 0, 0, 1], [1, 1, 2, 2], requiresGrad: true)
        let b = try tensor([0.5], [1, 1, 1, 1], requiresGrad: true)
        let y = try Ops.conv2d(x, w, bias: b)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        assertClose(values(y), [6.5, 8.5, 12.5, 14.5])
        try Ops.sum(y).backward()
        assertClose(values(x.grad!), [1, 1, 0, 1, 2, 1, 0, 1, 1])
        assertClose(values(w.grad!), [12, 16, 24, 28])
        assertClose(values(b.grad!), [4])
        // padding 1, stride 2: windows start at (-1,-1), (-1,1), (1,-1), (1,1)
        assertClose(values(try Ops.conv2d(x, w, stride: 2, padding: 1)), [1, 3, 7, 14])
    }

    /// The lowering splits a large batch into chunks; the result must not depend on where.
    func testConv1dAcrossChunksMatchesPerImage() throws {
        let n = 600, length = 100
        let x = try tensor((0..<n * 2 * length).map { Double($0 % 13) - 6 }, [n, 2, length], requiresGrad: true)
        let w = try tensor([1, -1, 2, 0.5, 0, -2], [1, 2, 3], requiresGrad: true)
        let y = try Ops.conv1d(x, w, padding: 1)
        XCTAssertEqual(y.shape, [n, 1, length])
        let last = try Ops.conv1d(try tensor(Array(values(x).suffix(2 * length)), [1, 2, length]), w, padding: 1)
        assertClose(Array(values(y).suffix(length)), values(last))
        try Ops.sum(y).backward()
        // Interior inputs of channel 0 see all three taps: 1 - 1 + 2 = 2.
        XCTAssertEqual(values(x.grad!)[(n - 1) * 2 * length + 50], 2)
    }

    func testPoolingFollowsPyTorch() throws {
        let x = try tensor([-1, -2, -3, -4], [1, 1, 2, 2], requiresGrad: true)
        // -inf padding: every window's maximum is its single real input
        assertClose(values(try Ops.maxPool2d(x, kernel: 2, stride: 2, padding: 1)), [-1, -2, -3, -4])
        // the average counts the padded zeros
        assertClose(values(try Ops.avgPool2d(x, kernel: 2, stride: 2, padding: 1)), [-0.25, -0.5, -0.75, -1])
        let ties = try tensor([3, 3, 1, 3], [1, 1, 4], requiresGrad: true)
        try Ops.sum(try Ops.maxPool1d(ties, kernel: 2, stride: 2)).backward()
        assertClose(values(ties.grad!), [1, 0, 0, 1])
    }

    func testInvalidArgumentsThrow() throws {
        let x = try tensor(Array(repeating: 1, count: 9), [1, 1, 3, 3])
        let w = try tensor(Array(repeating: 1, count: 8), [1, 2, 2, 2])
        XCTAssertThrowsError(try Ops.conv2d(x, w)) { error in
            XCTAssertEqual("\(error)", "conv2d: input has 1 channels, weight expects 2")
        }
        XCTAssertThrowsError(try Ops.conv2d(x, try tensor([1], [1, 1, 1, 1]), stride: 0))
        XCTAssertThrowsError(try Ops.maxPool2d(x, kernel: 2, stride: 1, padding: 2))
        XCTAssertThrowsError(try Ops.avgPool1d(x, kernel: 2, stride: 1))
        XCTAssertThrowsError(try Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, dtype: .int64))
        let layer = try Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1)
        XCTAssertEqual(layer.description, "Conv2d(in_channels=1, out_channels=2, kernel_size=3, padding=1, stride=1, bias=True)")
        XCTAssertEqual(try layer([try Ops.cast(x, to: .float32)])[0].shape, [1, 2, 3, 3])
    }
}
