/// A fully connected layer, `x @ weight + bias`, with PyDyNet's (in, out) weight layout.
public final class Linear: Module {
    /// Size of each input's last dimension.
    public let inFeatures: Int
    /// Size of each output's last dimension.
    public let outFeatures: Int
    /// Whether the layer adds a bias.
    public let hasBias: Bool

    /// A layer with parameters "weight" (in, out) and, when `bias`, "bias" (out,), initialised
    /// as PyDyNet does: weight by Kaiming uniform with a = sqrt(5) (relu gain, fan_in = in),
    /// bias by U(-1/sqrt(in), 1/sqrt(in)).
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, dtype: DType = .float64) throws {
        let op = "Linear"
        guard inFeatures >= 0 && outFeatures >= 0 else {
            throw EngineError.invalidArgument("\(op): in_features and out_features must be non-negative, got \(inFeatures) and \(outFeatures)")
        }
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): dtype must be float16, float32 or float64, got \(dtype.name)")
        }
        (self.inFeatures, self.outFeatures, self.hasBias) = (inFeatures, outFeatures, bias)
        super.init(kind: op)
        try register("weight", try Tensor(shape: [inFeatures, outFeatures], dtype: dtype, op: op))
        if bias { try register("bias", try Tensor(shape: [outFeatures], dtype: dtype, op: op)) }
        try resetParameters()
    }

    /// Kaiming-uniform weight (a = sqrt(5)), bias from U(-1/sqrt(in), 1/sqrt(in)), as PyDyNet.
    override public func resetParameters() throws {
        let weight = try own("weight")
        if weight.count > 0 { try Init.kaimingUniform(weight, a: 5.0.squareRoot()) }
        if hasBias {
            let bound = Init.fanInBound(inFeatures)
            try Init.uniform(try own("bias"), low: -bound, high: bound)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.linear(inputs[0], weight: try own("weight"), bias: hasBias ? try own("bias") : nil)]
    }

    override var settings: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(hasBias ? "True" : "False")"
    }
}

/// A lookup table of `numEmbeddings` vectors of size `embeddingDim`, indexed by int64 tensors.
public final class Embedding: Module {
    /// Number of rows of the table.
    public let numEmbeddings: Int
    /// Size of each vector.
    public let embeddingDim: Int
    /// The row that receives no gradient, normalised into `0..<numEmbeddings`.
    public let paddingIndex: Int?

    /// A table "weight" (num, dim) of N(0, 1) samples with the padding row zeroed (as PyTorch;
    /// PyDyNet 1.1 leaves its table uninitialised). A negative `paddingIndex` counts from the end.
    public init(numEmbeddings: Int, embeddingDim: Int, paddingIndex: Int? = nil, dtype: DType = .float64) throws {
        let op = "Embedding"
        guard numEmbeddings >= 0 && embeddingDim >= 0 else {
            throw EngineError.invalidArgument("\(op): num_embeddings and embedding_dim must be non-negative, got \(numEmbeddings) and \(embeddingDim)")
        }
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): dtype must be float16, float32 or float64, got \(dtype.name)")
        }
        let padding = try Ops.embeddingPadding(paddingIndex, count: numEmbeddings, op: op)
        (self.numEmbeddings, self.embeddingDim, self.paddingIndex) = (numEmbeddings, embeddingDim, padding)
        super.init(kind: op)
        try register("weight", try Tensor(shape: [numEmbeddings, embeddingDim], dtype: dtype, op: op))
        try resetParameters()
    }

    /// A table of N(0, 1) samples with the padding row zeroed. The table may have been rebound
    /// to another shape since construction (set_data): the padding row is then row
    /// `paddingIndex` of its first axis, as PyTorch's `weight[padding_idx]`, and must exist.
    override public func resetParameters() throws {
        let weight = try own("weight")
        if let paddingIndex, weight.rank == 0 || paddingIndex >= weight.shape[0] {
            throw EngineError.index("Embedding.reset_parameters: padding_idx \(paddingIndex) is out of range for a weight of shape \(describe(weight.shape))")
        }
        try Init.normal(weight)
        if let paddingIndex {
            let rowBytes = weight.count / weight.shape[0] * weight.dtype.itemSize
            (UnsafeMutableRawPointer(weight.storage.bytes) + paddingIndex * rowBytes)
                .initializeMemory(as: UInt8.self, repeating: 0, count: rowBytes)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.embedding(inputs[0], weight: try own("weight"), paddingIndex: paddingIndex)]
    }

    /// PyTorch's repr arguments (PyDyNet 1.1 prints an empty container for this layer).
    override var settings: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIndex.map { ", padding_idx=\($0)" } ?? "")
    }
}

/// Inverted dropout while training, the identity in evaluation mode.
public final class Dropout: Module {
    /// Probability of zeroing an element (or a channel).
    public let p: Double
    /// 0 for elementwise dropout, 1 or 2 for Dropout1d / Dropout2d, which zero whole channels.
    public let spatialDims: Int

    /// A dropout layer; `p` must be in [0, 1] (1 zeroes everything, as PyTorch). `spatialDims`
    /// 1 or 2 makes PyTorch's Dropout1d or Dropout2d.
    public init(p: Double = 0.5, spatialDims: Int = 0) throws {
        let kind = spatialDims == 0 ? "Dropout" : "Dropout\(spatialDims)d"
        guard p >= 0 && p <= 1 else {
            throw EngineError.invalidArgument("\(kind): probability has to be between 0 and 1, got \(p)")
        }
        guard (0...2).contains(spatialDims) else {
            throw EngineError.invalidArgument("Dropout: spatial dims must be 0, 1 or 2, got \(spatialDims)")
        }
        self.p = p
        self.spatialDims = spatialDims
        super.init(kind: kind)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        if spatialDims == 0 { return [try Ops.dropout(inputs[0], p: p, training: isTraining)] }
        return [try Ops.channelDropout(inputs[0], p: p, training: isTraining, spatialDims: spatialDims)]
    }

    /// PyDyNet's `p=0.5` for Dropout, PyTorch's `p=0.5, inplace=False` for Dropout1d/2d.
    override var settings: String { spatialDims == 0 ? "p=\(p)" : "p=\(p), inplace=False" }
}

extension Module {
    /// This module's own parameter `name`, which its initialiser registered.
    fileprivate func own(_ name: String) throws -> Tensor {
        guard let t = parameter(name) else {
            throw EngineError.invalidState("\(kind): parameter '\(name)' is missing")
        }
        return t
    }
}
