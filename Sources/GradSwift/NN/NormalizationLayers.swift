// PyDyNet's normalization layers on the fused ops of `Ops/Normalization.swift`, with its
// parameter names, shapes and initial values; where PyDyNet departs from PyTorch (LayerNorm's
// axes and running statistics, the running variance's bias) they follow PyTorch.

/// Checks the settings every normalization layer shares.
private func checkSettings(_ kind: String, eps: Double, dtype: DType) throws {
    guard eps.isFinite && eps >= 0 else {
        throw EngineError.invalidArgument("\(kind): eps must be a finite number >= 0, got \(eps)")
    }
    guard dtype.isFloatingPoint else {
        throw EngineError.dtype("\(kind): dtype must be float16, float32 or float64, got \(dtype.name)")
    }
}

/// Checks the settings of the layers with per-channel running statistics.
private func checkChannelSettings(_ kind: String, numFeatures: Int, momentum: Double) throws {
    guard numFeatures > 0 else {
        throw EngineError.invalidArgument("\(kind): num_features must be positive, got \(numFeatures)")
    }
    guard momentum.isFinite else {
        throw EngineError.invalidArgument("\(kind): momentum must be a finite number, got \(momentum)")
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
        try checkChannelSettings(kind, numFeatures: numFeatures, momentum: momentum)
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

/// PyTorch's GroupNorm: the `numChannels` channels split into `numGroups` groups, each
/// sample's group normalized over its channels and positions, then scaled by `weight` (ones)
/// and shifted by `bias` (zeros), both of shape (C,), when `affine`.
public final class GroupNorm: Module {
    /// Number of channel groups G.
    public let numGroups: Int
    /// Number of channels C (a multiple of G).
    public let numChannels: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Whether the layer has `weight` and `bias`.
    public let affine: Bool

    /// A layer with PyTorch's defaults (eps 1e-5, affine).
    public init(numGroups: Int, numChannels: Int, eps: Double = 1e-5, affine: Bool = true, dtype: DType = .float64) throws {
        try checkSettings("GroupNorm", eps: eps, dtype: dtype)
        guard numGroups > 0 && numChannels > 0 && numChannels % numGroups == 0 else {
            throw EngineError.invalidArgument("GroupNorm: num_channels must be divisible by num_groups (both positive), got \(numChannels) and \(numGroups)")
        }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        super.init(kind: "GroupNorm")
        if affine {
            try register("weight", try Tensor(shape: [numChannels], dtype: dtype, op: "GroupNorm"))
            try register("bias", try Tensor(shape: [numChannels], dtype: dtype, op: "GroupNorm"))
        }
        try resetParameters()
    }

    /// Weight 1, bias 0.
    override public func resetParameters() throws {
        parameter("weight")?.fill(1)
        parameter("bias")?.fill(0)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.groupNorm(inputs[0], groups: numGroups, weight: parameter("weight"), bias: parameter("bias"), eps: eps)]
    }

    override var settings: String { "\(numGroups), \(numChannels), eps=\(eps), affine=\(affine ? "True" : "False")" }
}

/// PyTorch's InstanceNorm1d and InstanceNorm2d: each sample's channel normalized over its
/// positions; `weight` (ones) and `bias` (zeros) of shape (C,) when `affine`; with
/// `trackRunningStats`, buffers `running_mean` (zeros) and `running_var` (ones) updated in
/// training and used in evaluation.
public final class InstanceNorm: Module {
    /// Number of channels C.
    public let numFeatures: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Weight of the new statistic in the running averages.
    public let momentum: Double
    /// Whether the layer has `weight` and `bias`.
    public let affine: Bool
    /// Whether the layer keeps running statistics.
    public let trackRunningStats: Bool
    /// The input rank with a batch axis (3 for InstanceNorm1d, 4 for InstanceNorm2d).
    private let batchedRank: Int

    /// InstanceNorm1d (`spatialDims` 1) or InstanceNorm2d (2) with PyTorch's defaults.
    public init(spatialDims: Int, numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false, dtype: DType = .float64) throws {
        let kind = "InstanceNorm\(spatialDims)d"
        try checkSettings(kind, eps: eps, dtype: dtype)
        guard spatialDims == 1 || spatialDims == 2 else {
            throw EngineError.invalidArgument("InstanceNorm: spatial dims must be 1 or 2, got \(spatialDims)")
        }
        try checkChannelSettings(kind, numFeatures: numFeatures, momentum: momentum)
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        self.batchedRank = spatialDims + 2
        super.init(kind: kind)
        if affine {
            try register("weight", try Tensor(shape: [numFeatures], dtype: dtype, op: kind))
            try register("bias", try Tensor(shape: [numFeatures], dtype: dtype, op: kind))
        }
        if trackRunningStats {
            try register("running_mean", try Tensor(shape: [numFeatures], dtype: dtype, op: kind), trainable: false)
            try register("running_var", try Tensor(shape: [numFeatures], dtype: dtype, op: kind), trainable: false)
        }
        try resetParameters()
    }

    /// Weight 1, bias 0, running mean 0, running variance 1.
    override public func resetParameters() throws {
        for (name, value) in [("weight", 1.0), ("bias", 0), ("running_mean", 0), ("running_var", 1)] {
            parameter(name)?.fill(value)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        var x = inputs[0]
        let unbatched = x.rank == batchedRank - 1
        guard x.rank == batchedRank || unbatched else {
            throw EngineError.invalidArgument("\(kind): expected \(batchedRank - 1)D (unbatched) or \(batchedRank)D (batched) input, got \(x.rank)D input of shape \(describe(x.shape))")
        }
        if unbatched { x = try Ops.unsqueeze(x, axes: [0]) }
        guard x.shape[1] == numFeatures else {
            throw EngineError.shapeMismatch("\(kind): expected input with \(numFeatures) channels, got shape \(describe(inputs[0].shape))")
        }
        let out = try Ops.instanceNorm(x, runningMean: parameter("running_mean"), runningVar: parameter("running_var"),
                                       weight: parameter("weight"), bias: parameter("bias"),
                                       useInputStatistics: isTraining || !trackRunningStats, momentum: momentum, eps: eps)
        return [unbatched ? try Ops.squeeze(out, axes: [0]) : out]
    }

    override var settings: String {
        func flag(_ b: Bool) -> String { b ? "True" : "False" }
        return "\(numFeatures), eps=\(eps), momentum=\(momentum), affine=\(flag(affine)), track_running_stats=\(flag(trackRunningStats))"
    }
}
