import CBLAS

/// The recurrent cells, in PyDyNet's parameter layout ((in, out) weights, gates side by side
/// in the columns). `x` is the step's input, `h` the previous hidden state, σ the logistic.
///
/// - `rnnTanh`, `rnnReLU`: h' = f(x Wx + h Wh + b) with f = tanh or relu.
/// - `lstm`: [f, i, o, g] = [σ, σ, σ, tanh](x Wx + h Wh + b) (gate order f, i, o, g);
///   c' = f c + i g, h' = o tanh(c').
/// - `gru`: [z, r] = σ(x Wx1 + h Wh1 + b1); n = tanh(x Wx2 + (r h) Wh2 + b2);
///   h' = (1 - z) h + z n. (PyDyNet's variant: the reset gate scales h before the product,
///   and z weighs the candidate.)
public enum RecurrentCell: Sendable {
    case rnnTanh, rnnReLU, lstm, gru

    /// The op name used in error messages and graph nodes.
    public var name: String {
        switch self {
        case .rnnTanh: return "rnn_tanh"
        case .rnnReLU: return "rnn_relu"
        case .lstm: return "lstm"
        case .gru: return "gru"
        }
    }

    /// Pre-activation columns per hidden unit (1, 4 or 3).
    var gatesPerUnit: Int {
        switch self {
        case .rnnTanh, .rnnReLU: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// The weights a cell takes, in order, as (name, rows, columns): rows are `input` or
    /// `hidden` sized, columns a multiple of the hidden size. Biases (when present) follow:
    /// one per input weight, as long as its columns.
    var weightLayout: [(name: String, fromInput: Bool, units: Int)] {
        switch self {
        case .rnnTanh, .rnnReLU: return [("Wx", true, 1), ("Wh", false, 1)]
        case .lstm: return [("Wx", true, 4), ("Wh", false, 4)]
        case .gru: return [("Wx1", true, 2), ("Wh1", false, 2), ("Wx2", true, 1), ("Wh2", false, 1)]
        }
    }
}

// The sequence op runs one cell over a whole sequence for one layer and direction:
//
// - forward: one gemm projects every timestep's input at once (P = X Wx, a (T·B, G) matrix);
//   then per step one gemm adds h_{t-1} Wh into the step's rows of P (GRU: two, the second on
//   r·h) and a fused kernel applies the gates, writing h_t (and c_t) and overwriting P's rows
//   with the gate activations, which the backward needs;
// - backward: per step (last first) a fused kernel turns dh_t (output gradient plus the
//   recurrent gradient) into pre-activation gradients dA_t stored in a (T·B, G) matrix, one
//   gemm accumulates dWh += h_{t-1}ᵀ dA_t and one carries dh_{t-1} = dA_t Whᵀ (+ the direct
//   terms); at the end single gemms give dx = dA Wxᵀ and dWx = Xᵀ dA, and db the column sums.
//
// A long sequence with a large batch runs in batch chunks, one per core, each through every
// step with single-threaded BLAS (batch rows never interact; dWh is summed from per-chunk
// shares at the end).
//
// The input may be time-major (T, B, I) or batch-first (B, T, I); the hidden sequence has the
// same layout, so no transposes are needed: row (t, b) of every (rows, width) matrix is
// t·rowT + b·rowB, and a step's B rows are a matrix with leading dimension rowB·width.
//
// The LSTM's cell-state sequence is a second output of the same graph node, so its gradient
// reaches the fused recurrence together with the hidden sequence's (no second pass through
// time). When the backward is itself recorded (a double backward, `createGraph`), the op's
// math is written once more with engine ops, step by step (`recurrenceComposite`), and that
// composite is differentiated instead: slower, but differentiable to any order.

/// Where the rows of a sequence op live.
private struct SequenceShape {
    let steps: Int, batch: Int, input: Int, hidden: Int
    /// Pre-activation columns (gatesPerUnit · hidden).
    let gates: Int
    /// Row of (t, b) is t·rowT + b·rowB.
    let rowT: Int, rowB: Int
    let reverse: Bool

    var rows: Int { steps * batch }
    /// The first row (batch 0) of timestep t.
    func row(_ t: Int) -> Int { t * rowT }
    /// The timestep processed at position `step` (reverse runs from the last).
    func time(_ step: Int) -> Int { reverse ? steps - 1 - step : step }
    /// The timestep processed just before `t` (valid for positions after the first).
    func previous(_ t: Int) -> Int { reverse ? t + 1 : t - 1 }
}

/// Everything one run of a sequence op reads and writes.
private struct SequenceRun {
    let cell: RecurrentCell
    let shape: SequenceShape
    let x: Tensor, h0: Tensor?, c0: Tensor?
    /// (weight, bias, first column in P) for each input weight.
    let inputBlocks: [(weight: Tensor, bias: Tensor?, column: Int)]
    /// Wh, or GRU's [Wh1, Wh2].
    let hiddenWeights: [Tensor]
    /// (rows, gates): pre-activations, then the gate activations (LSTM, GRU).
    let gates: Tensor
    /// (rows, hidden): the hidden sequence (the op's output).
    let hidden: Tensor
    /// LSTM only: c_t and tanh(c_t), (rows, hidden) each.
    let cells: Tensor?, cellTanh: Tensor?
}

extension Ops {
    /// Runs `cell` over the whole sequence `x` for one layer and direction, returning the hidden
    /// state after every step (and for LSTM the cell state) in `x`'s layout: (T, B, H), or
    /// (B, T, H) when `batchFirst`. Entry t is the state after reading `x[t]`; with `reverse`
    /// the steps run from the last timestep to the first, so the final state is entry 0.
    ///
    /// `weights` follow `RecurrentCell.weightLayout` (RNN/LSTM: Wx (I, G), Wh (H, G); GRU: Wx1
    /// (I, 2H), Wh1 (H, 2H), Wx2 (I, H), Wh2 (H, H)), then optionally one bias per input weight.
    /// `h0` and `c0` (B, H) default to zeros. All tensors are float; float32 ones meeting a
    /// float64 one are promoted to float64.
    public static func recurrentSequence(_ cell: RecurrentCell, _ x: Tensor, h0: Tensor?, c0: Tensor? = nil,
                                         weights: [Tensor], reverse: Bool = false,
                                         batchFirst: Bool = false) throws -> (hidden: Tensor, cell: Tensor?) {
        if halfOnly([x, h0, c0] + weights.map { $0 }) {
            let wide = try recurrentSequence(cell, single(x), h0: single(h0), c0: single(c0), weights: weights.map { try single($0) },
                                             reverse: reverse, batchFirst: batchFirst)
            return (try half(wide.hidden), try wide.cell.map(half))
        }
        let named = [("input", x), ("h0", h0), ("c0", c0)] + weights.indices.map { ("weight \($0)", weights[$0] as Tensor?) }
        let promoted = try promotedToCommonFloat(cell.name, named)
        let (x, h0, c0, weights) = (promoted[0]!, promoted[1], promoted[2], promoted.dropFirst(3).map { $0! })
        let run = try prepareSequence(cell, x, h0: h0, c0: c0, weights: weights, reverse: reverse, batchFirst: batchFirst)
        func forward<T: BLASScalar>(_: T.Type) throws { try SequenceKernel<T>.forward(run) }
        try x.dtype.dispatchFloat(cell.name, forward, forward)

        let outShape = x.shape.dropLast() + [run.shape.hidden]
        let hidden = run.hidden.sharingStorage(shape: Array(outShape))
        let cellOut = run.cells?.sharingStorage(shape: Array(outShape))
        let inputs = [x] + [h0, c0].compactMap { $0 } + weights
        try Tensor.recording([hidden] + (cellOut.map { [$0] } ?? []), cell.name, inputs) { gradients, _ in
            if GradMode.isEnabled {  // recorded: differentiate the step-by-step composite
                return try Autograd.vjp(inputs, seeds: gradients) { tensors in
                    try recurrenceComposite(cell, tensors, hasH0: h0 != nil, hasC0: c0 != nil, reverse: reverse, batchFirst: batchFirst)
                }
            }
            let dcs = gradients.count > 1 ? gradients[1] : nil
            let g = try gradients[0] ?? Tensor(shape: Array(outShape), dtype: x.dtype, zeroed: true, op: cell.name)
            func backward<T: BLASScalar>(_: T.Type) throws -> [Tensor?] { try SequenceKernel<T>.backward(run, g, dcs) }
            return try g.dtype.dispatchFloat(cell.name, backward, backward)
        }
        return (hidden, cellOut)
    }

    /// `recurrentSequence` written with engine ops, one step after the other, from its inputs
    /// `[x, h0?, c0?] + weights`: the hidden sequence (and the LSTM's cell sequence). The
    /// fused op's recorded backward differentiates this.
    static func recurrenceComposite(_ cell: RecurrentCell, _ inputs: [Tensor], hasH0: Bool, hasC0: Bool,
                                    reverse: Bool, batchFirst: Bool) throws -> [Tensor?] {
        let x = inputs[0]
        var rest = inputs.dropFirst()
        let h0 = hasH0 ? rest.popFirst() : nil, c0 = hasC0 ? rest.popFirst() : nil
        let layout = cell.weightLayout
        let weights = Array(rest.prefix(layout.count)), biases = Array(rest.dropFirst(layout.count))
        let timeAxis = batchFirst ? 1 : 0, steps = x.shape[timeAxis], batch = x.shape[1 - timeAxis]
        let width = weights[1].shape[0]
        let zeros = try Tensor(shape: [batch, width], dtype: x.dtype, zeroed: true, op: cell.name)
        var h = h0 ?? zeros, c = c0 ?? zeros
        var hiddens = [Tensor?](repeating: nil, count: steps), cells = hiddens

        /// x_t W + h U (+ b), for input weight `k` of the layout.
        func affine(_ xt: Tensor, _ w: Tensor, _ u: Tensor, _ state: Tensor, bias k: Int) throws -> Tensor {
            let sum = try Ops.matmul(xt, w) + Ops.matmul(state, u)
            return k < biases.count ? try sum + biases[k] : sum
        }
        for step in 0..<steps {
            let t = reverse ? steps - 1 - step : step
            let xt = try Ops.squeeze(try Ops.narrow(x, axis: timeAxis, start: t, length: 1), axes: [timeAxis])
            switch cell {
            case .rnnTanh, .rnnReLU:
                let a = try affine(xt, weights[0], weights[1], h, bias: 0)
                h = try cell == .rnnTanh ? Ops.tanh(a) : Ops.relu(a)
            case .lstm:
                let gates = try Ops.split(try affine(xt, weights[0], weights[1], h, bias: 0),
                                          boundaries: [width, 2 * width, 3 * width], axis: 1)
                let (f, i, o) = (try Ops.sigmoid(gates[0]), try Ops.sigmoid(gates[1]), try Ops.sigmoid(gates[2]))
                c = try f * c + i * Ops.tanh(gates[3])
                h = try o * Ops.tanh(c)
                cells[t] = c
            case .gru:
                let zr = try Ops.split(try Ops.sigmoid(try affine(xt, weights[0], weights[1], h, bias: 0)),
                                       boundaries: [width], axis: 1)
                let n = try Ops.tanh(try affine(xt, weights[2], weights[3], try zr[1] * h, bias: 1))
                h = try (1 - zr[0]) * h + zr[0] * n
            }
            hiddens[t] = h
        }
        /// The per-step states as one sequence in `x`'s layout.
        func sequence(_ states: [Tensor?]) throws -> Tensor {
            try Ops.concat(try states.compactMap { try $0.map { try Ops.unsqueeze($0, axes: [timeAxis]) } }, axis: timeAxis)
        }
        return [try sequence(hiddens), cell == .lstm ? try sequence(cells) : nil]
    }

    /// Checks the arguments of `recurrentSequence` and allocates its buffers.
    private static func prepareSequence(_ cell: RecurrentCell, _ x: Tensor, h0: Tensor?, c0: Tensor?, weights: [Tensor],
                                        reverse: Bool, batchFirst: Bool) throws -> SequenceRun {
        let op = cell.name
        guard x.rank == 3 else {
            throw EngineError.invalidArgument("\(op): input must be 3-D \(batchFirst ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)"), got \(describe(x.shape))")
        }
        let layout = cell.weightLayout
        guard weights.count == layout.count || weights.count == layout.count + layout.filter(\.fromInput).count else {
            throw EngineError.invalidArgument("\(op): expected \(layout.count) weights and optionally \(layout.filter(\.fromInput).count) biases, got \(weights.count) tensors")
        }
        let (steps, batch) = batchFirst ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
        let input = x.shape[2], hidden = weights[1].shape.first ?? 0
        guard steps >= 1 else { throw EngineError.invalidArgument("\(op): sequence length must be at least 1, got 0") }
        guard hidden >= 1 else { throw EngineError.invalidArgument("\(op): hidden size must be at least 1") }
        for (i, w) in weights.enumerated() {
            let expected: [Int]
            if i < layout.count {
                expected = [layout[i].fromInput ? input : hidden, layout[i].units * hidden]
            } else {
                let source = layout.filter(\.fromInput)[i - layout.count]
                expected = [source.units * hidden]
            }
            guard w.shape == expected else {
                let name = i < layout.count ? layout[i].name : "bias \(i - layout.count)"
                throw EngineError.shapeMismatch("\(op): \(name) must have shape \(describe(expected)) for input size \(input) and hidden size \(hidden), got \(describe(w.shape))")
            }
        }
        for (name, state) in [("h0", h0), ("c0", c0)] {
            guard let state else { continue }
            guard name == "h0" || cell == .lstm else {
                throw EngineError.invalidArgument("\(op): only the LSTM takes an initial cell state")
            }
            guard state.shape == [batch, hidden] else {
                throw EngineError.shapeMismatch("\(op): \(name) must have shape \(describe([batch, hidden])), got \(describe(state.shape))")
            }
        }
        let gates = cell.gatesPerUnit * hidden
        // Every gemm dimension and leading dimension must fit BLAS's int32.
        let largest = [steps * batch, steps * gates, steps * hidden, input, gates]
        guard largest.allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw EngineError.outOfMemory("\(op): dimensions above 2^31 - 1 are not supported (input \(describe(x.shape)), hidden size \(hidden))")
        }
        let shape = SequenceShape(steps: steps, batch: batch, input: input, hidden: hidden, gates: gates,
                                  rowT: batchFirst ? 1 : batch, rowB: batchFirst ? steps : 1, reverse: reverse)
        let biases = Array(weights.dropFirst(layout.count))
        var blocks: [(weight: Tensor, bias: Tensor?, column: Int)] = []
        var hiddenWeights: [Tensor] = []
        var column = 0
        for (i, entry) in layout.enumerated() {
            if entry.fromInput {
                blocks.append((weights[i], biases.isEmpty ? nil : biases[blocks.count], column))
                column += entry.units * hidden
            } else {
                hiddenWeights.append(weights[i])
            }
        }
        let rows = steps * batch
        let isLSTM = cell == .lstm
        return SequenceRun(cell: cell, shape: shape, x: x, h0: h0, c0: c0, inputBlocks: blocks, hiddenWeights: hiddenWeights,
                           gates: try Tensor(shape: [rows, gates], dtype: x.dtype, op: op),
                           hidden: try Tensor(shape: [rows, hidden], dtype: x.dtype, op: op),
                           cells: isLSTM ? try Tensor(shape: [rows, hidden], dtype: x.dtype, op: op) : nil,
                           cellTanh: isLSTM ? try Tensor(shape: [rows, hidden], dtype: x.dtype, op: op) : nil)
    }
}

/// The fused forward and backward of the sequence op for one float type.
private enum SequenceKernel<T: BLASScalar> {
    typealias Pointer = UnsafeMutablePointer<T>

    /// A step's batch rows: the first one and the distance between rows (0 for a shared row
    /// of zeros standing for a missing state).
    struct Rows {
        let base: Pointer
        let stride: Int
        @inline(__always) subscript(b: Int) -> Pointer { base + b * stride }
    }

    /// The step's rows of a (rows, width) matrix.
    static func rows(_ t: Tensor, _ s: SequenceShape, _ time: Int, width: Int) -> Rows {
        Rows(base: t.pointer(T.self) + s.row(time) * width, stride: s.rowB * width)
    }

    /// The state before processing position `step`: the previous step's rows, the initial
    /// state, or nil (zeros).
    static func previous(_ sequence: Tensor, initial: Tensor?, _ s: SequenceShape, step: Int) -> Rows? {
        if step > 0 { return rows(sequence, s, s.previous(s.time(step)), width: s.hidden) }
        return initial.map { Rows(base: $0.pointer(T.self), stride: s.hidden) }
    }

    /// The bias of every pre-activation column (zeros without bias).
    static func biasRow(_ run: SequenceRun) throws -> Tensor {
        let row = try Tensor(shape: [run.shape.gates], dtype: run.x.dtype, zeroed: true, op: run.cell.name)
        for block in run.inputBlocks {
            guard let bias = block.bias else { continue }
            (row.pointer(T.self) + block.column).update(from: bias.pointer(T.self), count: bias.count)
        }
        return row
    }

    // MARK: Forward

    static func forward(_ run: SequenceRun) throws {
        let s = run.shape, (B, H, G) = (s.batch, s.hidden, s.gates)
        let P = run.gates.pointer(T.self), X = run.x.pointer(T.self)
        for block in run.inputBlocks {
            let width = block.weight.shape[1]
            T.gemm(false, false, s.rows, width, s.input, X, s.input, block.weight.pointer(T.self), width, beta: 0, P + block.column, G)
        }
        let biasTensor = try biasRow(run), bias = biasTensor.pointer(T.self)
        // A zero row stands for a missing initial state; GRU also needs r·h_prev per step.
        let zeros = try Tensor(shape: [H], dtype: run.x.dtype, zeroed: true, op: run.cell.name)
        let scratch = try Tensor(shape: [run.cell == .gru ? B * H : 0], dtype: run.x.dtype, op: run.cell.name)
        defer { withExtendedLifetime((biasTensor, zeros, scratch)) {} }  // raw pointers into them are used below
        let zero = Rows(base: zeros.pointer(T.self), stride: 0), rh = scratch.pointer(T.self)
        Parallel.forPieces(s.batch, grain: chunkGrain(s)) { _, batchRows in
            let (lo, count) = (batchRows.lowerBound, batchRows.count)
            for step in 0..<s.steps {
                let t = s.time(step)
                let p = rows(run.gates, s, t, width: G), h = rows(run.hidden, s, t, width: H)
                let hp = previous(run.hidden, initial: run.h0, s, step: step)
                switch run.cell {
                case .rnnTanh, .rnnReLU:
                    if let hp { T.gemm(false, false, count, G, H, hp[lo], hp.stride, run.hiddenWeights[0].pointer(T.self), G, beta: 1, p[lo], p.stride) }
                    rnnStep(relu: run.cell == .rnnReLU, s, batchRows, p, h, bias)
                case .lstm:
                    if let hp { T.gemm(false, false, count, G, H, hp[lo], hp.stride, run.hiddenWeights[0].pointer(T.self), G, beta: 1, p[lo], p.stride) }
                    let cp = previous(run.cells!, initial: run.c0, s, step: step) ?? zero
                    lstmStep(s, batchRows, p, h, cp, rows(run.cells!, s, t, width: H), rows(run.cellTanh!, s, t, width: H), bias)
                case .gru:
                    let (wh1, wh2) = (run.hiddenWeights[0].pointer(T.self), run.hiddenWeights[1].pointer(T.self))
                    if let hp { T.gemm(false, false, count, 2 * H, H, hp[lo], hp.stride, wh1, 2 * H, beta: 1, p[lo], p.stride) }
                    gruGates(s, batchRows, p, hp ?? zero, rh, bias)
                    if hp != nil { T.gemm(false, false, count, H, H, rh + lo * H, H, wh2, H, beta: 1, p[lo] + 2 * H, p.stride) }
                    gruOutput(s, batchRows, p, hp ?? zero, h, bias)
                }
            }
        }
    }

    /// Batch rows per chunk for `Parallel.forPieces`. Each chunk goes through every timestep on
    /// its own core with single-threaded BLAS: batch rows never interact, so the cores need no
    /// synchronisation between steps. Chunks are made only when every core gets one of a
    /// worthwhile size; otherwise the batch is one chunk, whose per-step products BLAS spreads
    /// over the cores itself (a wide hidden layer with a small batch).
    static func chunkGrain(_ s: SequenceShape) -> Int {
        let grain = max(16, Parallel.minimumElements / max(s.steps * s.gates, 1))
        return s.batch / grain >= Parallel.threads ? grain : s.batch + 1
    }

    // The step kernels loop over one batch row at a time with branch-free bodies, so the
    // compiler vectorises them (VectorMath's exp is plain arithmetic, not a libm call).

    /// h = f(P + b), relu or tanh.
    static func rnnStep(relu: Bool, _ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ h: Rows, _ bias: UnsafePointer<T>) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], hr = h[b]
            if relu {
                for j in 0..<H { let a = pr[j] + bias[j]; hr[j] = a < 0 ? 0 : a }
            } else {
                for j in 0..<H { hr[j] = T.vectorTanh(pr[j] + bias[j]) }
            }
        }
    }

    /// LSTM gates from P + b, stored in P as [f, i, o, g]; c = f c_prev + i g, tanh(c), h = o tanh(c).
    static func lstmStep(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ h: Rows, _ cp: Rows, _ c: Rows, _ tc: Rows,
                         _ bias: UnsafePointer<T>) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], hr = h[b], cr = c[b], tr = tc[b], cpr = cp[b]
            let (f, i, o, g, bg) = (pr, pr + H, pr + 2 * H, pr + 3 * H, bias + 3 * H)
            for j in 0..<3 * H { pr[j] = T.vectorSigmoid(pr[j] + bias[j]) }
            for j in 0..<H { g[j] = T.vectorTanh(g[j] + bg[j]) }
            for j in 0..<H { cr[j] = f[j] * cpr[j] + i[j] * g[j] }
            for j in 0..<H { tr[j] = T.vectorTanh(cr[j]) }
            for j in 0..<H { hr[j] = o[j] * tr[j] }
        }
    }

    /// GRU: z, r = σ(P[:, :2H] + b1), stored in P; rh = r·h_prev.
    static func gruGates(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ hp: Rows, _ rh: Pointer, _ bias: UnsafePointer<T>) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], r = pr + H, hpr = hp[b], out = rh + b * H
            for j in 0..<2 * H { pr[j] = T.vectorSigmoid(pr[j] + bias[j]) }
            for j in 0..<H { out[j] = r[j] * hpr[j] }
        }
    }

    /// GRU: n = tanh(P[:, 2H:] + b2), stored in P; h = (1 - z) h_prev + z n.
    static func gruOutput(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ hp: Rows, _ h: Rows, _ bias: UnsafePointer<T>) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], hr = h[b], hpr = hp[b], z = pr, n = pr + 2 * H, bn = bias + 2 * H
            for j in 0..<H { n[j] = T.vectorTanh(n[j] + bn[j]) }
            for j in 0..<H { hr[j] = (1 - z[j]) * hpr[j] + z[j] * n[j] }
        }
    }

    // MARK: Backward

    /// Gradients for the node's inputs [x, h0?, c0?, weights...] from the hidden-sequence
    /// gradient `g` and (LSTM) the cell-sequence gradient `dcs`.
    static func backward(_ run: SequenceRun, _ g: Tensor, _ dcs: Tensor?) throws -> [Tensor?] {
        let s = run.shape, (B, H, G, N) = (s.batch, s.hidden, s.gates, s.rows)
        let op = run.cell.name
        let dA = try Tensor(shape: [N, G], dtype: g.dtype, op: op)
        // dh_next per batch row; GRU builds the next one in a second buffer and swaps.
        let carries = [try Tensor(shape: [B, H], dtype: g.dtype, zeroed: true, op: op),
                       try Tensor(shape: [B, H], dtype: g.dtype, zeroed: true, op: op)]
        let cellCarry = try Tensor(shape: [B, H], dtype: g.dtype, zeroed: true, op: op)
        // Each batch chunk accumulates its own share of dWh; the shares are summed at the end.
        let chunks = Parallel.pieceCount(B, grain: chunkGrain(s))
        let hiddenShares = try (0..<chunks).map { _ in
            try run.hiddenWeights.map { w in
                w.requiresGrad ? try Tensor(shape: w.shape, dtype: g.dtype, zeroed: true, op: op) : nil
            }
        }
        let needsInitial = (run.h0?.requiresGrad ?? false)
        let zeros = try Tensor(shape: [H], dtype: g.dtype, zeroed: true, op: op)
        let scratch = try Tensor(shape: [run.cell == .gru ? 2 * B * H : 0], dtype: g.dtype, op: op)
        defer { withExtendedLifetime((zeros, scratch)) {} }  // raw pointers into them are used below
        let zero = Rows(base: zeros.pointer(T.self), stride: 0)

        Parallel.forPieces(B, grain: chunkGrain(s)) { chunk, batchRows in
            let (lo, count) = (batchRows.lowerBound, batchRows.count)
            let hiddenGrads = hiddenShares[chunk]
            var (carry, spare) = (carries[0].pointer(T.self), carries[1].pointer(T.self))
            for step in stride(from: s.steps - 1, through: 0, by: -1) {
                let t = s.time(step)
                let p = rows(run.gates, s, t, width: G), d = rows(dA, s, t, width: G)
                let gh = rows(g, s, t, width: H), h = rows(run.hidden, s, t, width: H)
                let hp = previous(run.hidden, initial: run.h0, s, step: step)
                switch run.cell {
                case .rnnTanh, .rnnReLU, .lstm:
                    if run.cell == .lstm {
                        let cp = previous(run.cells!, initial: run.c0, s, step: step) ?? zero
                        let dc = dcs.map { rows($0, s, t, width: H) } ?? zero
                        lstmBackStep(s, batchRows, p, d, gh, carry, rows(run.cellTanh!, s, t, width: H), cp, dc, cellCarry.pointer(T.self))
                    } else {
                        rnnBackStep(relu: run.cell == .rnnReLU, s, batchRows, d, gh, carry, h)
                    }
                    guard let hp else { break }
                    let wh = run.hiddenWeights[0].pointer(T.self)
                    if let dWh = hiddenGrads[0] { T.gemm(true, false, H, G, count, hp[lo], hp.stride, d[lo], d.stride, beta: 1, dWh.pointer(T.self), G) }
                    if step > 0 || needsInitial { T.gemm(false, true, count, H, G, d[lo], d.stride, wh, G, beta: 0, carry + lo * H, H) }
                case .gru:
                    let drh = scratch.pointer(T.self), rh = drh + B * H
                    gruBackOutput(s, batchRows, p, d, gh, carry, hp ?? zero, spare)
                    if let hp {
                        let (wh1, wh2) = (run.hiddenWeights[0].pointer(T.self), run.hiddenWeights[1].pointer(T.self))
                        T.gemm(false, true, count, H, H, d[lo] + 2 * H, d.stride, wh2, H, beta: 0, drh + lo * H, H)
                        gruBackGates(s, batchRows, p, d, hp, drh, rh, spare)
                        if let dWh2 = hiddenGrads[1] { T.gemm(true, false, H, H, count, rh + lo * H, H, d[lo] + 2 * H, d.stride, beta: 1, dWh2.pointer(T.self), H) }
                        if let dWh1 = hiddenGrads[0] { T.gemm(true, false, H, 2 * H, count, hp[lo], hp.stride, d[lo], d.stride, beta: 1, dWh1.pointer(T.self), 2 * H) }
                        T.gemm(false, true, count, H, 2 * H, d[lo], d.stride, wh1, 2 * H, beta: 1, spare + lo * H, H)
                    }
                    swap(&carry, &spare)
                }
            }
        }
        // GRU swapped the buffers once per step, in every chunk alike.
        let carry = run.cell == .gru && s.steps % 2 == 1 ? carries[1] : carries[0]
        let hiddenGrads = hiddenShares[0]
        for share in hiddenShares.dropFirst() {
            for case let (total?, part?) in zip(hiddenGrads, share) {
                let (t, p) = (total.pointer(T.self), part.pointer(T.self))
                for i in 0..<total.count { t[i] += p[i] }
            }
        }

        var grads: [Tensor?] = [try inputGradient(run, dA)]
        if let h0 = run.h0 { grads.append(h0.requiresGrad ? carry : nil) }
        if let c0 = run.c0 { grads.append(c0.requiresGrad ? cellCarry : nil) }
        var biasGrads: [Tensor?] = []
        var hiddenIndex = 0, blockIndex = 0
        for entry in run.cell.weightLayout {
            if entry.fromInput {
                let block = run.inputBlocks[blockIndex]
                blockIndex += 1
                grads.append(block.weight.requiresGrad ? try weightGradient(run, block.weight, block.column, dA) : nil)
                if let bias = block.bias {
                    biasGrads.append(bias.requiresGrad ? try columnSums(dA, block.column, bias.count, N, G) : nil)
                }
            } else {
                grads.append(hiddenGrads[hiddenIndex])
                hiddenIndex += 1
            }
        }
        return grads + biasGrads
    }

    /// RNN: dA = (g + dh_next)·f'(pre), from the output h.
    static func rnnBackStep(relu: Bool, _ s: SequenceShape, _ batchRows: Range<Int>, _ d: Rows, _ gh: Rows, _ dhNext: Pointer, _ h: Rows) {
        let H = s.hidden
        for b in batchRows {
            let dr = d[b], gr = gh[b], hr = h[b], carry = dhNext + b * H
            if relu {
                for j in 0..<H { dr[j] = hr[j] > 0 ? gr[j] + carry[j] : 0 }
            } else {
                for j in 0..<H { dr[j] = (gr[j] + carry[j]) * (1 - hr[j] * hr[j]) }
            }
        }
    }

    /// LSTM: pre-activation gradients of [f, i, o, g] from dh = g + dh_next and
    /// dc = dh·o·(1 - tanh²c) + dc_next + dcs; dc_next becomes dc·f.
    static func lstmBackStep(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ d: Rows, _ gh: Rows, _ dhNext: Pointer, _ tc: Rows,
                             _ cp: Rows, _ dcs: Rows, _ dcNext: Pointer) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], dr = d[b], gr = gh[b], tr = tc[b], cpr = cp[b], dcr = dcs[b]
            let carryH = dhNext + b * H, carryC = dcNext + b * H
            let (f, i, o, g) = (pr, pr + H, pr + 2 * H, pr + 3 * H)
            let (df, di, dO, dg) = (dr, dr + H, dr + 2 * H, dr + 3 * H)
            // Short loops over few pointers, which the compiler vectorises (one loop doing all
            // of it ran scalar, 2x slower). dO holds dh and di holds dc until their last use.
            for j in 0..<H { dO[j] = gr[j] + carryH[j] }
            for j in 0..<H { di[j] = dO[j] * o[j] * (1 - tr[j] * tr[j]) + carryC[j] + dcr[j] }
            for j in 0..<H { df[j] = di[j] * cpr[j] * f[j] * (1 - f[j]) }
            for j in 0..<H { carryC[j] = di[j] * f[j] }
            for j in 0..<H { dg[j] = di[j] * i[j] * (1 - g[j] * g[j]) }
            for j in 0..<H { di[j] = di[j] * g[j] * i[j] * (1 - i[j]) }
            for j in 0..<H { dO[j] = dO[j] * tr[j] * o[j] * (1 - o[j]) }
        }
    }

    /// GRU, first half: dz and dn pre-activation gradients (dr zeroed), acc = dh·(1 - z).
    static func gruBackOutput(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ d: Rows, _ gh: Rows, _ dhNext: Pointer, _ hp: Rows,
                              _ acc: Pointer) {
        let H = s.hidden
        for b in batchRows {
            let pr = p[b], dr = d[b], gr = gh[b], hpr = hp[b], carry = dhNext + b * H, out = acc + b * H
            let (z, n, dz, dReset, dn) = (pr, pr + 2 * H, dr, dr + H, dr + 2 * H)
            // Short loops that vectorise (see lstmBackStep); out holds dh until the last one.
            for j in 0..<H { out[j] = gr[j] + carry[j] }
            for j in 0..<H { dz[j] = out[j] * (n[j] - hpr[j]) * z[j] * (1 - z[j]) }
            for j in 0..<H { dn[j] = out[j] * z[j] * (1 - n[j] * n[j]) }
            dReset.update(repeating: 0, count: H)
            for j in 0..<H { out[j] *= 1 - z[j] }
        }
    }

    /// GRU, second half (with a previous state): dr from d(r·h) = drh, acc += drh·r, rh = r·h_prev.
    static func gruBackGates(_ s: SequenceShape, _ batchRows: Range<Int>, _ p: Rows, _ d: Rows, _ hp: Rows, _ drh: Pointer, _ rh: Pointer,
                             _ acc: Pointer) {
        let H = s.hidden
        for b in batchRows {
            let r = p[b] + H, dReset = d[b] + H, hpr = hp[b]
            let grh = drh + b * H, rhr = rh + b * H, out = acc + b * H
            for j in 0..<H { dReset[j] = grh[j] * hpr[j] * r[j] * (1 - r[j]) }
            for j in 0..<H { out[j] += grh[j] * r[j] }
            for j in 0..<H { rhr[j] = r[j] * hpr[j] }
        }
    }

    /// dx = Σ over input blocks of dA[:, block] Wᵀ, in x's layout.
    static func inputGradient(_ run: SequenceRun, _ dA: Tensor) throws -> Tensor? {
        guard run.x.requiresGrad else { return nil }
        let s = run.shape
        let dx = try Tensor(shape: run.x.shape, dtype: dA.dtype, zeroed: true, op: run.cell.name)
        for block in run.inputBlocks {
            let width = block.weight.shape[1]
            T.gemm(false, true, s.rows, s.input, width, dA.pointer(T.self) + block.column, s.gates,
                   block.weight.pointer(T.self), width, beta: 1, dx.pointer(T.self), s.input)
        }
        return dx
    }

    /// dW = Xᵀ dA[:, column ..< column + width].
    static func weightGradient(_ run: SequenceRun, _ w: Tensor, _ column: Int, _ dA: Tensor) throws -> Tensor {
        let s = run.shape, width = w.shape[1]
        let dW = try Tensor(shape: w.shape, dtype: dA.dtype, zeroed: true, op: run.cell.name)
        T.gemm(true, false, s.input, width, s.rows, run.x.pointer(T.self), s.input,
               dA.pointer(T.self) + column, s.gates, beta: 1, dW.pointer(T.self), width)
        return dW
    }

    /// Column sums of dA[:, column ..< column + width] (a gemv with a ones vector).
    static func columnSums(_ dA: Tensor, _ column: Int, _ width: Int, _ rows: Int, _ ld: Int) throws -> Tensor {
        let out = try Tensor(shape: [width], dtype: dA.dtype, zeroed: true, op: "bias gradient")
        let ones = [T](repeating: 1, count: max(rows, 1))
        ones.withUnsafeBufferPointer { v in
            let a = UnsafeRawPointer(dA.pointer(T.self) + column), x = UnsafeRawPointer(v.baseAddress!)
            let y = UnsafeMutableRawPointer(out.pointer(T.self))
            guard rows > 0 else { return }
            if T.self == Float.self {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(width), 1, a.assumingMemoryBound(to: Float.self),
                            Int32(ld), x.assumingMemoryBound(to: Float.self), 1, 0, y.assumingMemoryBound(to: Float.self), 1)
            } else {
                cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(width), 1, a.assumingMemoryBound(to: Double.self),
                            Int32(ld), x.assumingMemoryBound(to: Double.self), 1, 0, y.assumingMemoryBound(to: Double.self), 1)
            }
        }
        return out
    }
}
