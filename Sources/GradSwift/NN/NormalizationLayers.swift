// PyDyNet's normalization layers on the fused ops of `Ops/Normalization.swift`, with its
// parameter names, shapes and initial values; where PyDyNet departs from PyTorch (LayerNorm's
// axes and running statistics, the running variance's bias) they follow PyTorch.

/// Checks the settings every normalization layer shares.
private func checkSettings(_ kind: String, eps: Double, dtype: DType) throws {
    guard eps.isFinite && eps >= 0 else {
        throw EngineError.invalidArgument("\(kind): eps must be a finite number >= 0, got \(eps)")
    }
    guard dtype.isFloatingPoint else {
        throw EngineError.dtype("\(kind): dtype must be float32 or float64, got \(dtype.name)")
    }
}

/// Batch normalization over the channels (dim 1) of a batch: running statistics
/// `running_mean` (zeros) and `running_var` (ones) are non-trainable parameters, `scale` (ones)
/// and `shift` (zeros) trainable. Training normalizes with the batch statistics and updates
/// the running ones (with the unbiased variance, as PyTorch); evaluation uses the running ones.
public class BatchNorm: Module {
    /// Number of channels C.
    public let numFeatures: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Weight of the new batch statistic in the running averages.
    public let momentum: Double
    /// The input ranks the layer accepts, for its error message.
    private let ranks: [Int]

    /// A layer named `kind` whose four parameters have `parameterShape` (C elements) and which
    /// accepts inputs of the given ranks.
    init(kind: String, numFeatures: Int, eps: Double, momentum: Double, dtype: DType,
         parameterShape: [Int], ranks: [Int]) throws {
        try checkSettings(kind, eps: eps, dtype: dtype)
        guard numFeatures > 0 else {
            throw EngineError.invalidArgument("\(kind): num_features must be positive, got \(numFeatures)")
        }
        guard momentum.isFinite else {
            throw EngineError.invalidArgument("\(kind): momentum must be a finite number, got \(momentum)")
        }
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.ranks = ranks
        super.init(kind: kind)
        for (name, trainable) in [("running_mean", false), ("running_var", false), ("scale", true), ("shift", true)] {
            try register(name, try Tensor(shape: parameterShape, dtype: dtype, op: kind), trainable: trainable)
        }
        try resetParameters()
    }

    /// Running mean 0, running variance 1, scale 1, shift 0.
    override public func resetParameters() throws {
        for (name, value) in [("running_mean", 0.0), ("running_var", 1), ("scale", 1), ("shift", 0)] {
            parameter(name)?.fill(value)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let x = inputs[0]
        guard ranks.contains(x.rank) else {
            let expected = ranks.map { "\($0)D" }.joined(separator: " or ")
            throw EngineError.invalidArgument("\(kind): expected \(expected) input, got \(x.rank)D input of shape \(describe(x.shape))")
        }
        return [try Ops.batchNorm(x, runningMean: parameter("running_mean"), runningVar: parameter("running_var"),
                                  weight: parameter("scale"), bias: parameter("shift"), training: isTraining,
                                  momentum: momentum, eps: eps)]
    }

    override var settings: String { "num_features=\(numFeatures), momentum=\(momentum)" }
}

/// Batch normalization of (N, C) or (N, C, L) inputs; parameters of shape (C,).
public final class BatchNorm1d: BatchNorm {
    /// A layer for `numFeatures` channels (PyDyNet's defaults: eps 1e-6, momentum 0.1).
    public init(numFeatures: Int, eps: Double = 1e-6, momentum: Double = 0.1, dtype: DType = .float64) throws {
        try super.init(kind: "BatchNorm1d", numFeatures: numFeatures, eps: eps, momentum: momentum,
                       dtype: dtype, parameterShape: [numFeatures], ranks: [2, 3])
    }
}

/// Batch normalization of (N, C, H, W) inputs; parameters of shape (1, C, 1, 1) as PyDyNet's.
public final class BatchNorm2d: BatchNorm {
    /// A layer for `numFeatures` channels (PyDyNet's defaults: eps 1e-6, momentum 0.1).
    public init(numFeatures: Int, eps: Double = 1e-6, momentum: Double = 0.1, dtype: DType = .float64) throws {
        try super.init(kind: "BatchNorm2d", numFeatures: numFeatures, eps: eps, momentum: momentum,
                       dtype: dtype, parameterShape: [1, numFeatures, 1, 1], ranks: [4])
    }
}

/// Checks a normalized shape: at least one dim, none negative.
private func checkNormalizedShape(_ kind: String, _ shape: [Int]) throws {
    guard !shape.isEmpty && shape.allSatisfy({ $0 >= 0 }) && shape.count <= Shape.maxRank else {
        throw EngineError.invalidArgument("\(kind): normalized_shape must have 1 to \(Shape.maxRank) dims, none negative, got \(describe(shape))")
    }
}

/// Layer normalization as PyTorch's: each sample normalized over its trailing
/// `normalizedShape` dims, then scaled by `scale` (ones) and shifted by `shift` (zeros), both
/// of shape `normalizedShape`. Unlike PyDyNet's, it has no running statistics and behaves the
/// same in training and evaluation.
public final class LayerNorm: Module {
    /// The trailing dims normalized over.
    public let normalizedShape: [Int]
    /// Added to the variance before the square root.
    public let eps: Double

    /// A layer normalizing over `normalizedShape` (PyDyNet's default eps 1e-6).
    public init(normalizedShape: [Int], eps: Double = 1e-6, dtype: DType = .float64) throws {
        try checkSettings("LayerNorm", eps: eps, dtype: dtype)
        try checkNormalizedShape("LayerNorm", normalizedShape)
        self.normalizedShape = normalizedShape
        self.eps = eps
        super.init(kind: "LayerNorm")
        try register("scale", try Tensor(shape: normalizedShape, dtype: dtype, op: "LayerNorm"))
        try register("shift", try Tensor(shape: normalizedShape, dtype: dtype, op: "LayerNorm"))
        try resetParameters()
    }

    /// Scale 1, shift 0.
    override public func resetParameters() throws {
        parameter("scale")?.fill(1)
        parameter("shift")?.fill(0)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.layerNorm(inputs[0], normalizedShape: normalizedShape, weight: parameter("scale"),
                           bias: parameter("shift"), eps: eps)]
    }

    override var settings: String { "\(describe(normalizedShape)), eps=\(eps)" }
}

/// RMS normalization: x / sqrt(mean(x²) + eps) * `weight` (ones), the mean over the trailing
/// `normalizedShape` dims.
public final class RMSNorm: Module {
    /// The trailing dims normalized over.
    public let normalizedShape: [Int]
    /// Added to the mean square before the square root.
    public let eps: Double

    /// A layer normalizing over `normalizedShape` (PyDyNet's default eps 1e-6).
    public init(normalizedShape: [Int], eps: Double = 1e-6, dtype: DType = .float64) throws {
        try checkSettings("RMSNorm", eps: eps, dtype: dtype)
        try checkNormalizedShape("RMSNorm", normalizedShape)
        self.normalizedShape = normalizedShape
        self.eps = eps
        super.init(kind: "RMSNorm")
        try register("weight", try Tensor(shape: normalizedShape, dtype: dtype, op: "RMSNorm"))
        try resetParameters()
    }

    /// Weight 1.
    override public func resetParameters() throws {
        parameter("weight")?.fill(1)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.rmsNorm(inputs[0], normalizedShape: normalizedShape, weight: parameter("weight"), eps: eps)]
    }

    override var settings: String { "\(describe(normalizedShape)), eps=\(eps)" }
}
