import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import GradSwift

final class ActivationLossTests: XCTestCase {
    func testReluAndLeakyReluGradientsAtZeroFollowPyTorch() throws {
        let x = try tensor([-2, 0, 3], [3], requiresGrad: true)
        try Ops.sum(try Ops.relu(x)).backward()
        assertClose(values(x.grad!), [0, 0, 1])
        x.zeroGrad()
        let y = try Ops.leakyRelu(x, slope: 0.25)
        assertClose(values(y), [-0.5, 0, 3])
        try Ops.sum(y).backward()
        assertClose(values(x.grad!), [0.25, 0.25, 1])
        XCTAssertEqual(try Ops.relu(try integers([-1, 2], [2])).dtype, .int64)
        XCTAssertEqual(try Ops.silu(try integers([-1, 2], [2])).dtype, .float64)
    }

    func testSoftmaxAlongEveryLayoutAndItsGradient() throws {
        let data: [Double] = [1, 2, 3, 4, 0, -1]
        let x = try tensor(data, [2, 3], requiresGrad: true)
        let rows = try Ops.softmax(x, axis: 1)
        let e = [1.0, 2, 3].map { Glibc.exp($0) }, s = e.reduce(0, +)
        assertClose(Array(values(rows)[0..<3]), e.map { $0 / s })
        let columns = try Ops.softmax(x, axis: 0)  // strided rows
        assertClose(Array(values(columns)[0..<3]), (0..<3).map { j in 1 / (1 + Glibc.exp(data[j + 3] - data[j])) })
        let all = try Ops.softmax(x, axis: nil)
        XCTAssertEqual(values(all).reduce(0, +), 1, accuracy: 1e-12)
        // sum(w * log_softmax) has gradient w - softmax * sum(w) along each row
        let w = try tensor([1, 2, 3, 4, 5, 6], [2, 3])
        try Ops.sum(try Ops.mul(try Ops.logSoftmax(x, axis: -1), w)).backward()
        let p = values(rows)
        let rowTotals: [Double] = [6, 6, 6, 15, 15, 15]
        let expected: [Double] = (0..<6).map { i in Double(i + 1) - p[i] * rowTotals[i] }
        assertClose(values(x.grad!), expected)
        XCTAssertThrowsError(try Ops.softmax(x, axis: 2))
    }

    func testCrossEntropyIsFusedNllOfLogSoftmax() throws {
        let x = try tensor([1, 2, 3, 1e4, 0, -1e4], [2, 3], requiresGrad: true)
        let labels = try integers([0, 1], [2])
        let fused = try Ops.crossEntropy(x, labels, reduction: .mean)
        try fused.backward()
        let g1 = values(x.grad!)
        x.zeroGrad()
        let composed = try Ops.nllLoss(try Ops.logSoftmax(x, axis: 1), labels, reduction: .mean)
        try composed.backward()
        assertClose(values(fused), values(composed))
        assertClose(g1, values(x.grad!))
        XCTAssertTrue(values(fused)[0].isFinite)
        XCTAssertThrowsError(try Ops.crossEntropy(x, try integers([0, 3], [2]), reduction: .sum)) { error in
            XCTAssertEqual(error as? EngineError, .index("cross_entropy: target 3 is out of range for 3 classes"))
        }
    }

    func testMseLossBroadcastsAndGivesBothGradients() throws {
        let pred = try tensor([1, 2, 3, 4], [2, 2], requiresGrad: true)
        let target = try tensor([1, 0], [2], requiresGrad: true)
        let loss = try Ops.mseLoss(pred, target, reduction: .sum)
        assertClose(values(loss), [0 + 4 + 4 + 16])
        try loss.backward()
        assertClose(values(pred.grad!), [0, 4, 4, 8])
        assertClose(values(target.grad!), [-4, -12])
    }

    func testLayerDescriptionsMatchPyDyNet() throws {
        XCTAssertEqual(LeakyReLU().description, "LeakyReLU(alpha=0.1)")
        XCTAssertEqual(Softmax().description, "Softmax(axis=None)")
        XCTAssertEqual(Softmax(axis: -1).description, "Softmax(axis=-1)")
        XCTAssertEqual(ReLU().description, "ReLU()")
        XCTAssertEqual(CrossEntropyLoss().description, "CrossEntropyLoss(\n\n)")
        let out = try MSELoss(reduction: .none)([try tensor([1, 2], [2]), try tensor([0, 0], [2])])
        assertClose(values(out[0]), [1, 4])
    }
}
