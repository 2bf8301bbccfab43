import XCTest
@testable import GradSwift

/// Anomaly detection: which op is named for a NaN or infinity in forward and in backward, that
/// the mode off changes nothing, and that a failed backward leaves the graph and `.grad` whole.
final class AnomalyTests: XCTestCase {
    override func tearDown() {
        AnomalyMode.isEnabled = false
        super.tearDown()
    }

    /// The message of the error `body` throws (fails the test when it throws none).
    private func anomaly(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
        } catch let error as EngineError {
            guard case .invalidState(let message) = error else {
                XCTFail("expected invalidState, got \(error)", file: file, line: line)
                return ""
            }
            return message
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
        XCTFail("no error thrown", file: file, line: line)
        return ""
    }

    /// A float32 tensor from values and a shape.
    private func floats(_ values: [Float], _ shape: [Int], requiresGrad: Bool = false) throws -> Tensor {
        let t = try values.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .float32, shape: shape) }
        try t.setRequiresGrad(requiresGrad)
        return t
    }

    func testOffByDefaultAndRestoredByWith() throws {
        XCTAssertFalse(AnomalyMode.isEnabled)
        XCTAssertThrowsError(try AnomalyMode.with(enabled: true) {
            XCTAssertTrue(AnomalyMode.isEnabled)
            throw EngineError.invalidArgument("leaving")
        })
        XCTAssertFalse(AnomalyMode.isEnabled)
    }

    func testForwardNamesTheOpAndIndex() throws {
        let x = try tensor([1, 2, 3, -1, 1, 2, 3, 4], [2, 4], requiresGrad: true)
        AnomalyMode.isEnabled = true
        XCTAssertEqual(anomaly { _ = try Ops.log(x) },
                       "anomaly: forward of 'log' produced nan at index 3 (output shape (2, 4))")
        let zero = try tensor([2, 0, 1], [3], requiresGrad: true)
        XCTAssertEqual(anomaly { _ = try Ops.div(zero, zero) },
                       "anomaly: forward of 'div' produced nan at index 1 (output shape (3,))")
        XCTAssertEqual(anomaly { _ = try Ops.log(zero) },
                       "anomaly: forward of 'log' produced -inf at index 1 (output shape (3,))")
        let big = try floats([1, 100], [2], requiresGrad: true)
        XCTAssertEqual(anomaly { _ = try Ops.exp(big) },
                       "anomaly: forward of 'exp' produced inf at index 1 (output shape (2,))")
    }

    func testNonFiniteInputFromOutsideTheGraphIsPointedOut() throws {
        let data = try tensor([1, .nan, 3], [3])
        let w = try tensor([1, 1, 1], [3], requiresGrad: true)
        AnomalyMode.isEnabled = true
        let message = anomaly { _ = try Ops.mul(data, w) }
        XCTAssertTrue(message.hasPrefix("anomaly: forward of 'mul' produced nan at index 1 (output shape (3,)); its input 0 already held non-finite values"), message)
    }

    func testOpsThatRecordNothingAreNotChecked() throws {
        // Forward checks cover recorded ops only: data alone and no_grad code may hold NaN.
        let x = try tensor([-1, 0], [2])
        let w = try tensor([-1, 0], [2], requiresGrad: true)
        AnomalyMode.isEnabled = true
        XCTAssertTrue(values(try Ops.log(x))[0].isNaN)
        try GradMode.with(enabled: false) { XCTAssertTrue(values(try Ops.log(w))[0].isNaN) }
    }

    func testBackwardOnlyAnomaliesNameOpAndInput() throws {
        // sqrt at 0 is finite, its gradient 1 / (2 sqrt(0)) is not.
        let x = try tensor([0, 1, 4], [3], requiresGrad: true)
        AnomalyMode.isEnabled = true
        let root = try Ops.sum(try Ops.sqrt(x))
        XCTAssertEqual(anomaly { try root.backward() },
                       "anomaly: backward of 'sqrt' produced inf in the gradient of input 0 at index 0 (gradient shape (3,))")

        // x ** 0.5 likewise, through pow.
        let half = try Ops.sum(try Ops.binary(.pow, x, scalar: 0.5, kind: .float))
        XCTAssertEqual(anomaly { try half.backward() },
                       "anomaly: backward of 'pow' produced inf in the gradient of input 0 at index 0 (gradient shape (3,))")

        // a / b with a = b = 1e-20 in float32 is 1, but 1e20 / b overflows in backward.
        let a = try floats([1e-20, 1], [2]), b = try floats([1e-20, 1], [2], requiresGrad: true)
        let scaled = try Ops.sum(try Ops.binary(.mul, try Ops.div(a, b), scalar: 1e20, kind: .float))
        XCTAssertEqual(anomaly { try scaled.backward() },
                       "anomaly: backward of 'div' produced -inf in the gradient of input 1 at index 0 (gradient shape (2,))")
    }

    func testFailedBackwardLeavesGraphAndGradsWhole() throws {
        let w = try tensor([2, 3, 4], [3], requiresGrad: true)
        let x = try tensor([0, 1, 4], [3], requiresGrad: true)
        // w receives its gradient before the walk reaches sqrt.
        let root = try Ops.sum(try Ops.mul(w, try Ops.sqrt(x)))
        AnomalyMode.isEnabled = true
        _ = anomaly { try root.backward() }
        XCTAssertNil(w.grad)
        XCTAssertNil(x.grad)
        XCTAssertNotNil(root.gradFn)
        _ = anomaly { try root.backward() }  // the same error again: nothing was freed

        AnomalyMode.isEnabled = false
        try root.backward()
        assertClose(values(w.grad!), [0, 1, 2])
        XCTAssertEqual(values(x.grad!), [.infinity, 1.5, 1])
        XCTAssertThrowsError(try root.backward())  // now freed, as any backward without retain
    }

    func testAnyFailedBackwardAddsNothingToGrad() throws {
        // Not an anomaly: x is rebound to another shape, which backward finds at sqrt, after w.
        let w = try tensor([2, 3], [2], requiresGrad: true)
        let x = try tensor([1, 4], [2], requiresGrad: true)
        let root = try Ops.sum(try Ops.mul(w, try Ops.sqrt(x)))
        let three: [Double] = [1, 2, 3]
        try three.withUnsafeBytes { try x.replaceData(with: $0.baseAddress, dtype: .float64, shape: [3]) }
        XCTAssertThrowsError(try root.backward())
        XCTAssertNil(w.grad)
    }

    func testOffChangesNothingAndOnAgreesWhenFinite() throws {
        func run() throws -> (Double, [Double]) {
            let x = try tensor([0.5, 1, 2, 3], [2, 2], requiresGrad: true)
            let y = try Ops.sum(try Ops.div(try Ops.log(x), try Ops.sqrt(x)))
            try y.backward()
            return (values(y)[0], values(x.grad!))
        }
        let off = try run()
        let on = try AnomalyMode.with(enabled: true) { try run() }
        XCTAssertEqual(off.0, on.0)
        XCTAssertEqual(off.1, on.1)

        let bad = try tensor([-1, 0], [2], requiresGrad: true)
        XCTAssertTrue(values(try Ops.log(bad))[0].isNaN)  // off: NaN flows, no error
        let root = try Ops.sum(try Ops.sqrt(try tensor([0, 1], [2], requiresGrad: true)))
        XCTAssertNoThrow(try root.backward())
    }

    func testTrainingWithDetectionOn() throws {
        RandomGenerator.shared.seed(3)
        let model = try Sequential([try Linear(inFeatures: 2, outFeatures: 8, dtype: .float64), ReLU(),
                                    try Linear(inFeatures: 8, outFeatures: 1, dtype: .float64)])
        let optimizer = try Optimizer(try SGD(momentum: 0.9, weightDecay: 0, nesterov: false),
                                      parameters: model.namedParameters().map(\.tensor), learningRate: 0.05)
        let x = try tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2])
        let target = try tensor([0, 1, 1, 0], [4, 1])
        var losses: [Double] = []
        try AnomalyMode.with(enabled: true) {
            for _ in 0..<200 {
                optimizer.zeroGrad()
                let loss = try Ops.mseLoss(try model([x])[0], target, reduction: .mean)
                try loss.backward()
                try optimizer.step()
                losses.append(values(loss)[0])
            }
        }
        XCTAssertLessThan(losses.last!, losses.first! / 2)
    }
}
