import XCTest
@testable import GradSwift

/// Parameter groups of the engine's optimizer, settings replaced between steps, and NAdam's
/// momentum product carried from step to step.
final class OptimizerTests: XCTestCase {
    /// Sets `x.grad` to `x` (the gradient of sum(x²)/2).
    private func gradientIsValue(_ x: Tensor) throws {
        x.zeroGrad()
        try (try Ops.sum(try Ops.mul(x, x), axes: nil, keepDims: false)).backward()
        for i in 0..<x.count { x.grad!.pointer(Double.self)[i] /= 2 }
    }

    func testGroupsStepWithTheirOwnRatesAndSettings() throws {
        let a = try tensor([1, -2], [2], requiresGrad: true), b = try tensor([3, 4], [2], requiresGrad: true)
        let optimizer = try Optimizer(try SGD(momentum: 0, weightDecay: 0, nesterov: false), parameters: [a], learningRate: 0.1)
        try optimizer.addGroup(try SGD(momentum: 0, weightDecay: 0, nesterov: false, maximize: true), parameters: [b], learningRate: 0.5)
        try gradientIsValue(a)
        try gradientIsValue(b)
        try optimizer.step()
        assertClose(values(a), [0.9, -1.8])
        assertClose(values(b), [4.5, 6])
        XCTAssertThrowsError(try optimizer.addGroup(try SGD(momentum: 0, weightDecay: 0, nesterov: false), parameters: [a], learningRate: 0.1))
        XCTAssertThrowsError(try optimizer.addGroup(try Adam(beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0), parameters: [], learningRate: 0.1))
        XCTAssertThrowsError(try optimizer.setLearningRate(0.1, group: 2))
    }

    func testNewSettingsKeepSharedBuffersAndAddMissingOnes() throws {
        let p = try tensor([1, 2], [2], requiresGrad: true)
        let optimizer = try Optimizer(try RMSprop(options: [0.9, 1e-8, 0, 0, 0, 0]), parameters: [p], learningRate: 0.01)
        try gradientIsValue(p)
        try optimizer.step()
        let squareAverage = values(optimizer.buffers[0][0])
        try optimizer.setOption("momentum", 0.9, group: 0)
        try optimizer.setOption("centered", 1, group: 0)
        XCTAssertEqual(optimizer.namedBuffers.map(\.name), ["0.square_avg", "0.momentum_buffer", "0.grad_avg"])
        assertClose(values(optimizer.buffers[0][0]), squareAverage)
        assertClose(values(optimizer.buffers[0][1]), [0, 0])
        XCTAssertThrowsError(try optimizer.setOption("centered", 0.5, group: 0))
        XCTAssertThrowsError(try optimizer.setOption("beta1", 0.5, group: 0))
        XCTAssertEqual(optimizer.rule.options, [0.9, 1e-8, 0, 0.9, 1, 0])
    }

    func testNAdamMomentumProductMatchesTheDefinitionWhateverTheStepOrder() throws {
        // One parameter stepped 1...4, another built fresh and stepped once at step 4 (a resumed
        // checkpoint): both use mu_1 ... mu_4.
        let rule = try NAdam(options: [0.9, 0.999, 1e-8, 0, 4e-3, 0])
        func mu(_ t: Double) -> Double { 0.9 * (1 - 0.5 * pow(0.96, t * 4e-3)) }
        let p = try tensor([1], [1], requiresGrad: true)
        let optimizer = try Optimizer(rule, parameters: [p], learningRate: 0.1)
        for _ in 0..<4 {
            try gradientIsValue(p)
            try optimizer.step()
        }
        let q = try tensor([1], [1], requiresGrad: true)
        let resumed = try Optimizer(try NAdam(options: rule.options), parameters: [q], learningRate: 0.1)
        resumed.stepCount = 3
        try gradientIsValue(q)
        try resumed.step()
        // First step of q: m = 0.1 g, v = 0.001 g², g = 1.
        let product = mu(1) * mu(2) * mu(3) * mu(4)
        let denom = (0.001 / (1 - pow(0.999, 4))).squareRoot() + 1e-8
        let expected = 1 - 0.1 * (1 - mu(4)) / (1 - product) / denom - 0.1 * mu(5) / (1 - product * mu(5)) * 0.1 / denom
        assertClose(values(q), [expected], tolerance: 1e-12)
    }
}
