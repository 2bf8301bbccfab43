// The recurrent layers with PyDyNet's parameters, outputs and reprs: the cells RNNCell,
// LSTMCell and GRUCell (one step), and RNN, LSTM and GRU (whole sequences, stacked layers,
// optionally bidirectional), all running the fused `Ops.recurrentSequence`.
//
// Layouts follow PyDyNet 1.1: a cell's weights are (in, out) with the gates side by side
// (LSTM gate order f, i, o, g; GRU [z, r] then the candidate); a layer holds one cell per
// layer and direction, named "rnn_0", ..., then "rrnn_0", ... (lstm_/gru_ likewise). The
// reverse direction is an independent stack over the reversed sequence: layer l > 0 of each
// direction reads only the same direction's previous layer (so its input size is hidden_size,
// unlike PyTorch). With batch_first and a 3-D input the output is (B, T, D·H) and h_n/c_n are
// (B, L·D, H) while the initial states stay (L·D, B, H), as in PyDyNet.

/// The non-linearity of RNN and RNNCell.
public enum RecurrentNonlinearity: Int32, Sendable {
    case tanh = 0, relu = 1

    /// PyDyNet's name ("tanh", "relu").
    public var name: String { self == .tanh ? "tanh" : "relu" }

    var cell: RecurrentCell { self == .tanh ? .rnnTanh : .rnnReLU }
}

/// A single recurrent step (RNNCell, LSTMCell, GRUCell): forward takes x of shape (B, I) or
/// (I,), and optionally the previous state(s) of shape (B, H) or (H,); it returns the new
/// hidden state (and for LSTMCell the new cell state).
public class RecurrentCellModule: Module {
    /// Which cell this is.
    public let cell: RecurrentCell
    /// Size of each input vector.
    public let inputSize: Int
    /// Size of the hidden (and cell) state.
    public let hiddenSize: Int
    /// Whether the cell has biases.
    public let hasBias: Bool

    /// Registers the cell's parameters and draws them (see `resetParameters`).
    init(kind: String, cell: RecurrentCell, inputSize: Int, hiddenSize: Int, bias: Bool, dtype: DType) throws {
        try checkRecurrentSizes(kind, inputSize: inputSize, hiddenSize: hiddenSize, dtype: dtype)
        (self.cell, self.inputSize, self.hiddenSize, self.hasBias) = (cell, inputSize, hiddenSize, bias)
        let states = cell == .lstm ? 2 : 1
        super.init(kind: kind, arity: 1...(1 + states))
        func parameter(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, dtype: dtype, op: kind) }
        let layout = cell.weightLayout
        for entry in layout {
            try register(entry.name, try parameter([entry.fromInput ? inputSize : hiddenSize, entry.units * hiddenSize]))
        }
        if bias {
            let inputs = layout.filter(\.fromInput)
            for (i, entry) in inputs.enumerated() {
                try register(inputs.count == 1 ? "bias" : "bias\(i + 1)", try parameter([entry.units * hiddenSize]))
            }
        }
        try resetParameters()
    }

    /// Every parameter from U(-1/sqrt(H), 1/sqrt(H)), in registration order, as PyDyNet.
    override public func resetParameters() throws {
        let bound = 1 / Double(hiddenSize).squareRoot()
        for (_, t) in parameters { try Init.uniform(t, low: -bound, high: bound) }
    }

    /// The weights in `Ops.recurrentSequence`'s order (registration order).
    var weights: [Tensor] { parameters.map(\.tensor) }

    /// Runs this cell over the 3-D sequence `x` (see `Ops.recurrentSequence`).
    func sequence(_ x: Tensor, h0: Tensor?, c0: Tensor?, reverse: Bool, batchFirst: Bool) throws -> (hidden: Tensor, cell: Tensor?) {
        try Ops.recurrentSequence(cell, x, h0: h0, c0: c0, weights: weights, reverse: reverse, batchFirst: batchFirst)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let x = inputs[0]
        guard x.rank == 1 || x.rank == 2 else {
            throw EngineError.invalidArgument("\(kind): input must be 1-D (input_size,) or 2-D (batch, input_size), got \(describe(x.shape))")
        }
        try checkInput(x, kind, self)
        if cell == .lstm && inputs.count == 2 {
            throw EngineError.invalidArgument("\(kind): pass both the hidden and the cell state, or neither")
        }
        let batch = x.rank == 2 ? x.shape[0] : 1
        let stateShape = x.rank == 2 ? [batch, hiddenSize] : [hiddenSize]
        let states = try inputs.dropFirst().enumerated().map { i, state -> Tensor in
            let what = i == 0 ? "hidden state" : "cell state"
            guard state.shape == stateShape else {
                throw EngineError.shapeMismatch("\(kind): \(what) must have shape \(describe(stateShape)) for input \(describe(x.shape)), got \(describe(state.shape))")
            }
            return try Ops.reshape(state, [batch, hiddenSize])
        }
        let x3 = try Ops.reshape(x, [1, batch, inputSize])
        let out = try sequence(x3, h0: states.first, c0: states.count > 1 ? states[1] : nil, reverse: false, batchFirst: false)
        return try [out.hidden, out.cell].compactMap { $0 }.map { try Ops.reshape($0, stateShape) }
    }
}

/// An Elman cell, h' = f(x Wx + h Wh + b): parameters "Wx" (I, H), "Wh" (H, H), "bias" (H,).
public final class RNNCell: RecurrentCellModule {
    /// The non-linearity f.
    public let nonlinearity: RecurrentNonlinearity

    /// A cell initialised as PyDyNet (all parameters U(-1/sqrt(H), 1/sqrt(H))).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RecurrentNonlinearity = .tanh,
                dtype: DType = .float64) throws {
        self.nonlinearity = nonlinearity
        try super.init(kind: "RNNCell", cell: nonlinearity.cell, inputSize: inputSize, hiddenSize: hiddenSize,
                       bias: bias, dtype: dtype)
    }

    override var settings: String {
        "\(inputSize), \(hiddenSize), bias=\(pythonBool(hasBias)), nonlinearity=\(nonlinearity.name)"
    }
}

/// An LSTM cell (gate order f, i, o, g): parameters "Wx" (I, 4H), "Wh" (H, 4H), "bias" (4H,);
/// forward returns [h', c'].
public final class LSTMCell: RecurrentCellModule {
    /// A cell initialised as PyDyNet (all parameters U(-1/sqrt(H), 1/sqrt(H))).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float64) throws {
        try super.init(kind: "LSTMCell", cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
    }

    override var settings: String { "\(inputSize), \(hiddenSize), bias=\(pythonBool(hasBias))" }
}

/// A GRU cell in PyDyNet's form: parameters "Wx1" (I, 2H), "Wh1" (H, 2H), "Wx2" (I, H),
/// "Wh2" (H, H), "bias1" (2H,), "bias2" (H,).
public final class GRUCell: RecurrentCellModule {
    /// A cell initialised as PyDyNet (all parameters U(-1/sqrt(H), 1/sqrt(H))).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float64) throws {
        try super.init(kind: "GRUCell", cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
    }

    override var settings: String { "\(inputSize), \(hiddenSize), bias=\(pythonBool(hasBias))" }
}

/// A multi-layer recurrent network over whole sequences (RNN, LSTM, GRU). forward takes x of
/// shape (T, B, I) ((B, T, I) with batch_first) or unbatched (T, I), and optionally the initial
/// states (L·D, B, H) (unbatched (L·D, H)); it returns [output, h_n] (LSTM: [output, h_n, c_n]).
public class RecurrentLayer: Module {
    /// Size of each input vector.
    public let inputSize: Int
    /// Size of the hidden state.
    public let hiddenSize: Int
    /// Number of stacked layers.
    public let numLayers: Int
    /// Whether the cells have biases.
    public let hasBias: Bool
    /// Whether 3-D inputs and outputs are (batch, seq, feature).
    public let batchFirst: Bool
    /// Whether a second stack runs over the reversed sequence.
    public let bidirectional: Bool
    /// The cells: layers 0..<L of the forward direction, then of the reverse one.
    public let cells: [RecurrentCellModule]

    /// Builds the stacks from `makeCell(inputSize)` and registers them as "<prefix>_l" and "r<prefix>_l".
    init(kind: String, prefix: String, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
         bidirectional: Bool, dtype: DType, makeCell: (Int) throws -> RecurrentCellModule) throws {
        try checkRecurrentSizes(kind, inputSize: inputSize, hiddenSize: hiddenSize, dtype: dtype)
        let directions = bidirectional ? 2 : 1
        guard numLayers >= 1 else {
            throw EngineError.invalidArgument("\(kind): num_layers must be at least 1, got \(numLayers)")
        }
        // Refuse before allocating when the parameters alone cannot fit in memory.
        let units = prefix == "lstm" ? 4 : prefix == "gru" ? 3 : 1
        let perLayer = Double(units * hiddenSize) * Double(inputSize + hiddenSize + 1)
        let bytes = perLayer * Double(numLayers) * Double(directions) * Double(dtype.itemSize)
        guard bytes <= Double(Storage.allocationLimit) else {
            throw EngineError.outOfMemory("\(kind): \(numLayers) layers of hidden size \(hiddenSize) need about \((bytes / 1e6).rounded()) MB of parameters, more than the machine has")
        }
        (self.inputSize, self.hiddenSize, self.numLayers, self.hasBias) = (inputSize, hiddenSize, numLayers, bias)
        (self.batchFirst, self.bidirectional) = (batchFirst, bidirectional)
        var cells: [RecurrentCellModule] = []
        for _ in 0..<directions {
            for layer in 0..<numLayers { cells.append(try makeCell(layer == 0 ? inputSize : hiddenSize)) }
        }
        self.cells = cells
        super.init(kind: kind, arity: 1...(prefix == "lstm" ? 3 : 2))
        for (k, cell) in cells.enumerated() {
            register("\(k < numLayers ? "" : "r")\(prefix)_\(k % numLayers)", cell)
        }
    }

    /// The cell of `layer` in the forward (`reverse` false) or reverse direction.
    public func cell(layer: Int, reverse: Bool) -> RecurrentCellModule? {
        guard layer >= 0 && layer < numLayers && (!reverse || bidirectional) else { return nil }
        return cells[(reverse ? numLayers : 0) + layer]
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let x = inputs[0], isLSTM = cells[0].cell == .lstm
        let sequenceShape = batchFirst ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)"
        guard x.rank == 2 || x.rank == 3 else {
            throw EngineError.invalidArgument("\(kind): input must be 2-D (seq_len, input_size) or 3-D \(sequenceShape), got \(describe(x.shape))")
        }
        try checkInput(x, kind, cells[0])
        if isLSTM && inputs.count == 2 {
            throw EngineError.invalidArgument("\(kind): pass both the initial hidden and cell states, or neither")
        }
        let batched = x.rank == 3, bf = batchFirst && batched
        let steps = bf ? x.shape[1] : x.shape[0], batch = batched ? x.shape[bf ? 0 : 1] : 1
        guard steps >= 1 else { throw EngineError.invalidArgument("\(kind): sequence length must be at least 1, got 0") }
        let directions = bidirectional ? 2 : 1, stacked = numLayers * directions
        let stateShape = batched ? [stacked, batch, hiddenSize] : [stacked, hiddenSize]
        let initial = try inputs.dropFirst().enumerated().map { i, state -> Tensor in
            let what = i == 0 ? "initial hidden state" : "initial cell state"
            guard state.shape == stateShape else {
                throw EngineError.shapeMismatch("\(kind): \(what) must have shape \(describe(stateShape)) for input \(describe(x.shape)), got \(describe(state.shape))")
            }
            return try Ops.reshape(state, [stacked, batch, hiddenSize])
        }
        let x3 = batched ? x : try Ops.reshape(x, [steps, 1, inputSize])

        var outputs: [Tensor] = [], finalHidden: [Tensor] = [], finalCell: [Tensor] = []
        let timeAxis = bf ? 1 : 0
        func final(_ sequence: Tensor, reverse: Bool) throws -> Tensor {
            let t = reverse ? 0 : steps - 1
            let all = IndexItem.slice(start: nil, stop: nil, step: nil), one = IndexItem.slice(start: t, stop: t + 1, step: nil)
            return try Ops.index(sequence, bf ? [all, one] : [one])
        }
        for direction in 0..<directions {
            var sequence = x3
            for layer in 0..<numLayers {
                let k = direction * numLayers + layer
                let states = try initial.map { try Ops.index($0, [.int(k)]) }
                let out = try cells[k].sequence(sequence, h0: states.first, c0: states.count > 1 ? states[1] : nil,
                                                reverse: direction == 1, batchFirst: bf)
                finalHidden.append(try final(out.hidden, reverse: direction == 1))
                if let c = out.cell { finalCell.append(try final(c, reverse: direction == 1)) }
                sequence = out.hidden
            }
            outputs.append(sequence)
        }
        var output = outputs.count == 1 ? outputs[0] : try Ops.concat(outputs, axis: 2)
        var states = try [finalHidden, finalCell].filter { !$0.isEmpty }.map {
            $0.count == 1 ? $0[0] : try Ops.concat($0, axis: timeAxis)
        }
        if !batched {
            output = try Ops.reshape(output, [steps, directions * hiddenSize])
            states = try states.map { try Ops.reshape($0, [stacked, hiddenSize]) }
        }
        return [output] + states
    }

    /// A layer's repr is its settings (PyDyNet does not list the cells).
    override public var description: String { "\(kind)(\(settings))" }

    /// The settings shared by the three layers, after the sizes and num_layers.
    var commonSettings: String {
        "bias=\(pythonBool(hasBias)), batch_first=\(pythonBool(batchFirst)), bidirectional=\(pythonBool(bidirectional))"
    }
}

/// A multi-layer Elman RNN made of RNNCells "rnn_l" (and "rrnn_l" when bidirectional).
public final class RNN: RecurrentLayer {
    /// The non-linearity of every cell.
    public let nonlinearity: RecurrentNonlinearity

    /// A network initialised as PyDyNet; layers after the first take hidden_size inputs.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: RecurrentNonlinearity = .tanh,
                bias: Bool = true, batchFirst: Bool = false, bidirectional: Bool = false, dtype: DType = .float64) throws {
        self.nonlinearity = nonlinearity
        try super.init(kind: "RNN", prefix: "rnn", inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                       bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype) {
            try RNNCell(inputSize: $0, hiddenSize: hiddenSize, bias: bias, nonlinearity: nonlinearity, dtype: dtype)
        }
    }

    override var settings: String {
        "\(inputSize), \(hiddenSize), num_layers=\(numLayers), nonlinearity=\(nonlinearity.name), \(commonSettings)"
    }
}

/// A multi-layer LSTM made of LSTMCells "lstm_l" (and "rlstm_l"); forward returns [output, h_n, c_n].
public final class LSTM: RecurrentLayer {
    /// A network initialised as PyDyNet; layers after the first take hidden_size inputs.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                bidirectional: Bool = false, dtype: DType = .float64) throws {
        try super.init(kind: "LSTM", prefix: "lstm", inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                       bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype) {
            try LSTMCell(inputSize: $0, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
        }
    }

    override var settings: String { "\(inputSize), \(hiddenSize), num_layers=\(numLayers), \(commonSettings)" }
}

/// A multi-layer GRU made of GRUCells "gru_l" (and "rgru_l").
public final class GRU: RecurrentLayer {
    /// A network initialised as PyDyNet; layers after the first take hidden_size inputs.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                bidirectional: Bool = false, dtype: DType = .float64) throws {
        try super.init(kind: "GRU", prefix: "gru", inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                       bias: bias, batchFirst: batchFirst, bidirectional: bidirectional, dtype: dtype) {
            try GRUCell(inputSize: $0, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
        }
    }

    override var settings: String { "\(inputSize), \(hiddenSize), num_layers=\(numLayers), \(commonSettings)" }
}

/// Python's spelling of a Bool.
private func pythonBool(_ flag: Bool) -> String { flag ? "True" : "False" }

/// Checks the sizes and dtype a cell or layer is built with.
private func checkRecurrentSizes(_ kind: String, inputSize: Int, hiddenSize: Int, dtype: DType) throws {
    guard inputSize >= 1 && hiddenSize >= 1 else {
        throw EngineError.invalidArgument("\(kind): input_size and hidden_size must be at least 1, got \(inputSize) and \(hiddenSize)")
    }
    guard inputSize <= Int(Int32.max) && hiddenSize <= Int(Int32.max) / 4 else {
        throw EngineError.outOfMemory("\(kind): input_size \(inputSize) or hidden_size \(hiddenSize) is too large")
    }
    guard dtype.isFloatingPoint else {
        throw EngineError.dtype("\(kind): dtype must be float16, float32 or float64, got \(dtype.name)")
    }
}

/// Checks a forward input's dtype (float; float32 meeting float64 parameters is promoted by
/// the op) and its feature size against `cell`'s parameters (`kind` names the module in errors).
private func checkInput(_ x: Tensor, _ kind: String, _ cell: RecurrentCellModule) throws {
    guard x.dtype.isFloatingPoint else {
        throw EngineError.dtype("\(kind): input must be float16, float32 or float64, got \(x.dtype.name)")
    }
    guard x.shape[x.rank - 1] == cell.inputSize else {
        throw EngineError.shapeMismatch("\(kind): expected input_size \(cell.inputSize) (the input's last dimension), got \(x.shape[x.rank - 1]) in shape \(describe(x.shape))")
    }
}
