import XCTest
@testable import GradSwift

/// The fused recurrent sequence op: gradients against central differences (float64), the
/// batch-first and reverse layouts against the plain one, the LSTM cell-state output's
/// gradient path, and argument checks.
final class RecurrentTests: XCTestCase {
    /// Deterministic pseudo-random values in [-1, 1).
    private func noise(_ count: Int, seed: Int) -> [Double] {
        (0..<count).map { i in
            let v = sin(Double(i * 7919 + seed * 104_729) * 0.618_033_988_75) * 43_758.545_3
            return 2 * (v - v.rounded(.down)) - 1
        }
    }

    /// Weights for `cell` with input size i and hidden size h, in `weightLayout` order, then biases.
    private func weights(_ cell: RecurrentCell, _ i: Int, _ h: Int) throws -> [Tensor] {
        let layout = cell.weightLayout
        var all: [Tensor] = []
        for (k, entry) in layout.enumerated() {
            let shape = [entry.fromInput ? i : h, entry.units * h]
            all.append(try tensor(noise(shape[0] * shape[1], seed: k + 1).map { $0 * 0.6 }, shape, requiresGrad: true))
        }
        for (k, entry) in layout.filter(\.fromInput).enumerated() {
            all.append(try tensor(noise(entry.units * h, seed: 20 + k).map { $0 * 0.3 }, [entry.units * h], requiresGrad: true))
        }
        return all
    }

    /// sum(w · hidden) + sum(w' · cell) for fixed weights w, w'.
    private func loss(_ out: (hidden: Tensor, cell: Tensor?)) throws -> Tensor {
        let w = try tensor(noise(out.hidden.count, seed: 99), out.hidden.shape)
        var total = try Ops.sum(try Ops.mul(out.hidden, w))
        if let c = out.cell {
            let wc = try tensor(noise(c.count, seed: 98), c.shape)
            total = try Ops.add(total, try Ops.sum(try Ops.mul(c, wc)))
        }
        return total
    }

    /// Checks every gradient of the loss against central differences.
    private func checkGradients(_ cell: RecurrentCell, reverse: Bool, batchFirst: Bool) throws {
        let (steps, batch, i, h) = (3, 2, 2, 3)
        let xShape = batchFirst ? [batch, steps, i] : [steps, batch, i]
        let x = try tensor(noise(steps * batch * i, seed: 7), xShape, requiresGrad: true)
        let h0 = try tensor(noise(batch * h, seed: 8).map { $0 * 0.5 }, [batch, h], requiresGrad: true)
        let c0 = cell == .lstm ? try tensor(noise(batch * h, seed: 9), [batch, h], requiresGrad: true) : nil
        let w = try weights(cell, i, h)
        func evaluate() throws -> Double {
            let out = try Ops.recurrentSequence(cell, x, h0: h0, c0: c0, weights: w, reverse: reverse, batchFirst: batchFirst)
            return values(try loss(out))[0]
        }
        try loss(try Ops.recurrentSequence(cell, x, h0: h0, c0: c0, weights: w, reverse: reverse, batchFirst: batchFirst)).backward()
        for t in [x, h0] + [c0].compactMap({ $0 }) + w {
            let analytic = values(t.grad!)
            let p = t.pointer(Double.self)
            for k in 0..<t.count {
                let saved = p[k], eps = 1e-6
                p[k] = saved + eps
                let up = try evaluate()
                p[k] = saved - eps
                let down = try evaluate()
                p[k] = saved
                XCTAssertEqual(analytic[k], (up - down) / (2 * eps), accuracy: 1e-7, "\(cell.name) \(describe(t.shape))[\(k)]")
            }
        }
    }

    func testGradientsMatchCentralDifferences() throws {
        for cell in [RecurrentCell.rnnTanh, .rnnReLU, .lstm, .gru] {
            try checkGradients(cell, reverse: false, batchFirst: false)
            try checkGradients(cell, reverse: true, batchFirst: true)
        }
    }

    func testLayoutsAndDirectionAgree() throws {
        let (steps, batch, i, h) = (4, 3, 2, 5)
        let x = try tensor(noise(steps * batch * i, seed: 3), [steps, batch, i])
        let w = try weights(.gru, i, h)
        let plain = try Ops.recurrentSequence(.gru, x, h0: nil, weights: w).hidden
        // batch-first input gives the same states, batch-first.
        let xb = try Ops.swapAxes(x, 0, 1)
        let bf = try Ops.recurrentSequence(.gru, xb, h0: nil, weights: w, batchFirst: true).hidden
        assertClose(values(try Ops.swapAxes(bf, 0, 1)), values(plain))
        // reverse over x equals forward over the time-reversed x, stored back in time order.
        let flipped = try Ops.index(x, [.slice(start: nil, stop: nil, step: -1)])
        let forwardOnFlipped = try Ops.recurrentSequence(.gru, flipped, h0: nil, weights: w).hidden
        let reversed = try Ops.recurrentSequence(.gru, x, h0: nil, weights: w, reverse: true).hidden
        assertClose(values(try Ops.index(forwardOnFlipped, [.slice(start: nil, stop: nil, step: -1)])), values(reversed))
    }

    func testLSTMCellStateGradientAloneReachesEveryInput() throws {
        let x = try tensor(noise(8, seed: 5), [4, 1, 2], requiresGrad: true)
        let w = try weights(.lstm, 2, 3)
        let out = try Ops.recurrentSequence(.lstm, x, h0: nil, weights: w)
        XCTAssertEqual(out.cell?.shape, [4, 1, 3])
        // A loss on the cell states alone still reaches x and every weight.
        try Ops.sum(out.cell!).backward()
        XCTAssertTrue(values(x.grad!).contains { $0 != 0 })
        for t in w { XCTAssertTrue(values(t.grad!).contains { $0 != 0 }) }
    }

    func testModulesRegisterPyDyNetNames() throws {
        let gru = try GRU(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true)
        XCTAssertEqual(gru.namedParameters().map(\.name).prefix(7),
                       ["gru_0.Wx1", "gru_0.Wh1", "gru_0.Wx2", "gru_0.Wh2", "gru_0.bias1", "gru_0.bias2", "gru_1.Wx1"])
        XCTAssertEqual(gru.namedParameters().count, 24)
        XCTAssertEqual(gru.description, "GRU(2, 3, num_layers=2, bias=True, batch_first=False, bidirectional=True)")
        let outs = try gru([try tensor(noise(12, seed: 1), [2, 3, 2])])
        XCTAssertEqual(outs.map(\.shape), [[2, 3, 6], [4, 3, 3]])
        XCTAssertEqual(try RNNCell(inputSize: 2, hiddenSize: 3, nonlinearity: .relu).description,
                       "RNNCell(2, 3, bias=True, nonlinearity=relu)")
    }

    func testArgumentChecks() throws {
        let x = try tensor(noise(6, seed: 1), [3, 1, 2])
        let w = try weights(.rnnTanh, 2, 4)
        XCTAssertThrowsError(try Ops.recurrentSequence(.rnnTanh, x, h0: nil, weights: Array(w.prefix(1))))
        XCTAssertThrowsError(try Ops.recurrentSequence(.gru, x, h0: nil, weights: w))
        XCTAssertThrowsError(try Ops.recurrentSequence(.rnnTanh, try tensor([1, 2], [1, 2]), h0: nil, weights: w))
        XCTAssertThrowsError(try Ops.recurrentSequence(.rnnTanh, x, h0: try tensor([0, 0, 0], [1, 3]), weights: w))
        XCTAssertThrowsError(try Ops.recurrentSequence(.rnnTanh, x, h0: nil, c0: try tensor([0, 0, 0, 0], [1, 4]), weights: w))
        XCTAssertThrowsError(try Ops.recurrentSequence(.rnnTanh, try tensor([], [0, 1, 2]), h0: nil, weights: w)) { error in
            XCTAssertTrue("\(error)".contains("sequence length"))
        }
        XCTAssertThrowsError(try GRU(inputSize: 2, hiddenSize: 3, numLayers: 0))
        XCTAssertThrowsError(try LSTMCell(inputSize: 2, hiddenSize: 3, dtype: .int64))
    }
}
