import XCTest
@testable import GradSwift

final class NormalizationTests: XCTestCase {
    /// Layer norm of each row against the definition, and dx summing to zero per row (the
    /// output is invariant to shifting a row, so sum(dx) = 0 whatever the output gradient).
    func testLayerNormRowsAndGradientInvariance() throws {
        let x = try tensor([1, 2, 3, 4, -1, 0, 5, 2], [2, 4], requiresGrad: true)
        let w = try tensor([1, 2, 0.5, -1], [4], requiresGrad: true)
        let b = try tensor([0, 1, 0, 0.5], [4], requiresGrad: true)
        let y = try Ops.layerNorm(x, normalizedShape: [4], weight: w, bias: b, eps: 1e-5)
        let xs = values(x), ws = values(w), bs = values(b)
        for r in 0..<2 {
            let row = Array(xs[(4 * r)..<(4 * r + 4)])
            let mean = row.reduce(0, +) / 4
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            let expected = (0..<4).map { (row[$0] - mean) / (variance + 1e-5).squareRoot() * ws[$0] + bs[$0] }
            assertClose(Array(values(y)[(4 * r)..<(4 * r + 4)]), expected)
        }
        let g = try tensor([0.3, -1, 2, 0.5, 1, 1, -2, 0.25], [2, 4])
        try Ops.sum(try Ops.mul(y, g)).backward()
        let dx = values(x.grad!)
        XCTAssertEqual(dx[0..<4].reduce(0, +), 0, accuracy: 1e-12)
        XCTAssertEqual(dx[4..<8].reduce(0, +), 0, accuracy: 1e-12)
        assertClose(values(b.grad!), [1.3, 0, 0, 0.75])
    }

    /// RMS norm's gradient against central finite differences.
    func testRmsNormGradientMatchesFiniteDifferences() throws {
        let data = [0.5, -1.5, 2.0, 0.25, 1.0, -0.75]
        let weights = [1.5, -0.5, 2.0]
        func loss(_ xs: [Double], _ ws: [Double], grad: Bool = false) throws -> (Tensor, Tensor, Tensor) {
            let x = try tensor(xs, [2, 3], requiresGrad: grad), w = try tensor(ws, [3], requiresGrad: grad)
            let y = try Ops.rmsNorm(x, normalizedShape: [3], weight: w, eps: 1e-6)
            return (try Ops.sum(try Ops.mul(y, y)), x, w)
        }
        let (l, x, w) = try loss(data, weights, grad: true)
        try l.backward()
        let h = 1e-6
        for i in 0..<data.count {
            var plus = data, minus = data
            plus[i] += h
            minus[i] -= h
            let numeric = (values(try loss(plus, weights).0)[0] - values(try loss(minus, weights).0)[0]) / (2 * h)
            XCTAssertEqual(values(x.grad!)[i], numeric, accuracy: 1e-6)
        }
        for i in 0..<weights.count {
            var plus = weights, minus = weights
            plus[i] += h
            minus[i] -= h
            let numeric = (values(try loss(data, plus).0)[0] - values(try loss(data, minus).0)[0]) / (2 * h)
            XCTAssertEqual(values(w.grad!)[i], numeric, accuracy: 1e-6)
        }
    }

    /// Training batch norm: per-channel normalized output, running statistics with the
    /// unbiased variance, and the BatchNorm2d module's (1, C, 1, 1) parameters.
    func testBatchNormTrainingUpdatesRunningStatistics() throws {
        let x = try tensor([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2, 1])  // channel 0: 1,2,10,20
        let module = try BatchNorm2d(numFeatures: 2, momentum: 0.5)
        XCTAssertEqual(module.description, "BatchNorm2d(num_features=2, momentum=0.5)")
        XCTAssertEqual(module.parameter("scale")?.shape, [1, 2, 1, 1])
        let y = try module([x])[0]
        let channel0 = [1.0, 2, 10, 20], mean0 = 8.25
        let variance0 = channel0.map { ($0 - mean0) * ($0 - mean0) }.reduce(0, +) / 4
        XCTAssertEqual(values(y)[0], (1 - mean0) / (variance0 + 1e-6).squareRoot(), accuracy: 1e-12)
        assertClose(values(module.parameter("running_mean")!), [0.5 * mean0, 0.5 * 19.25])
        XCTAssertEqual(values(module.parameter("running_var")!)[0], 0.5 + 0.5 * variance0 * 4 / 3, accuracy: 1e-12)
        module.setTraining(false)
        let before = values(module.parameter("running_mean")!)
        _ = try module([x])
        assertClose(values(module.parameter("running_mean")!), before)
    }

    /// Bad inputs throw errors naming the op and the shapes.
    func testInvalidInputsThrow() throws {
        let x = try tensor([1, 2, 3, 4, 5, 6], [2, 3])
        XCTAssertThrowsError(try Ops.layerNorm(x, normalizedShape: [2], weight: nil, bias: nil, eps: 1e-5)) {
            XCTAssertTrue("\($0)".contains("layer_norm") && "\($0)".contains("(2, 3)"))
        }
        XCTAssertThrowsError(try Ops.batchNorm(try tensor([1, 2, 3], [1, 3]), runningMean: nil, runningVar: nil,
                                               weight: nil, bias: nil, training: true, momentum: 0.1, eps: 1e-5)) {
            XCTAssertTrue("\($0)".contains("expected more than 1 value per channel when training"))
        }
        XCTAssertThrowsError(try Ops.batchNorm(x, runningMean: try tensor([0, 0], [2]), runningVar: try tensor([1, 1], [2]),
                                               weight: nil, bias: nil, training: false, momentum: 0.1, eps: 1e-5))
        XCTAssertThrowsError(try Ops.rmsNorm(x, normalizedShape: [3], weight: nil, eps: -1))
        XCTAssertThrowsError(try BatchNorm1d(numFeatures: 0))
        XCTAssertThrowsError(try LayerNorm(normalizedShape: []))
    }
}
