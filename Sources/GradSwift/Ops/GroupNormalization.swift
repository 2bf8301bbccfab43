/// Group and instance normalization, composed from the fused layer and batch norms of
/// `Normalization.swift` (so their backward, and its backward, come with them): group norm is
/// a layer norm over each group's channels and positions, instance norm a group norm with one
/// channel per group, or a batch norm with the running statistics in evaluation.
extension Ops {
    /// PyTorch's `group_norm` for x of shape (N, C, ...): the C channels split into `groups`
    /// groups, each sample's group normalized over its channels and positions with the biased
    /// variance, then `* weight + bias` per channel (optional, shape (C,)).
    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Double) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try half(groupNorm(single(x), groups: groups, weight: single(weight), bias: single(bias), eps: eps))
        }
        let op = "group_norm"
        guard x.rank >= 2 else {
            throw EngineError.invalidArgument("\(op): input must have at least 2 dimensions (N, C, ...), got shape \(describe(x.shape))")
        }
        let channels = x.shape[1]
        guard groups > 0 && channels % groups == 0 else {
            throw EngineError.invalidArgument("\(op): expected the number of channels in input to be divisible by num_groups, but got input of shape \(describe(x.shape)) and num_groups=\(groups)")
        }
        let normalized = try normalizedPerGroup(op, x, groups: groups, eps: eps)
        return try affinePerChannel(op, normalized, weight: weight, bias: bias)
    }

    /// PyTorch's `instance_norm` for x of shape (N, C, ...): with `useInputStatistics` each
    /// sample's channel is normalized over its positions, and the running statistics, when given,
    /// are updated in place (outside the graph) with the batch average of the instances' mean
    /// and unbiased variance, `running = (1 - momentum) * running + momentum * statistic`;
    /// without, the running statistics normalize (as batch norm in evaluation). Then
    /// `* weight + bias` per channel (optional, shape (C,)).
    public static func instanceNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                                    useInputStatistics: Bool, momentum: Double, eps: Double) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try halfWithRunningStatistics(runningMean, runningVar) { mean, variance in
                try instanceNorm(single(x), runningMean: mean, runningVar: variance, weight: single(weight), bias: single(bias),
                                 useInputStatistics: useInputStatistics, momentum: momentum, eps: eps)
            }
        }
        let op = "instance_norm"
        guard x.rank >= 3 else {
            throw EngineError.invalidArgument("\(op): input must have at least 3 dimensions (N, C, L, ...), got shape \(describe(x.shape))")
        }
        guard (runningMean == nil) == (runningVar == nil) else {
            throw EngineError.invalidArgument("\(op): running_mean and running_var must be given together")
        }
        guard useInputStatistics else {
            guard runningMean != nil else {
                throw EngineError.invalidArgument("\(op): running_mean and running_var are required when use_input_stats is false")
            }
            return try batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                 training: false, momentum: momentum, eps: eps)
        }
        let positions = x.shape.dropFirst(2).reduce(1, *)
        guard positions > 1 else {
            throw EngineError.invalidArgument("\(op): expected more than 1 spatial element when training, got input size \(describe(x.shape))")
        }
        let normalized = try normalizedPerGroup(op, x, groups: x.shape[1], eps: eps)
        if let runningMean, let runningVar {
            try updateRunningStatistics(op, x, positions: positions, runningMean, runningVar, momentum: momentum)
        }
        return try affinePerChannel(op, normalized, weight: weight, bias: bias)
    }

    /// x with each sample's `groups` channel groups normalized over their channels and positions.
    private static func normalizedPerGroup(_ op: String, _ x: Tensor, groups: Int, eps: Double) throws -> Tensor {
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        let batch = x.shape[0]
        guard x.count > 0 else { return try layerNorm(x, normalizedShape: Array(x.shape.dropFirst()), weight: nil, bias: nil, eps: eps) }
        let perGroup = x.count / (batch * groups)
        let grouped = try reshape(x, [batch, groups, perGroup])
        return try reshape(try layerNorm(grouped, normalizedShape: [perGroup], weight: nil, bias: nil, eps: eps), x.shape)
    }

    /// `x * weight + bias` with the per-channel (C,) tensors broadcast over dim 1.
    private static func affinePerChannel(_ op: String, _ x: Tensor, weight: Tensor?, bias: Tensor?) throws -> Tensor {
        let channels = x.shape[1]
        let broadcastShape = [1, channels] + Array(repeating: 1, count: x.rank - 2)
        var out = x
        for (name, t) in [("weight", weight), ("bias", bias)] {
            guard let t else { continue }
            guard t.shape == [channels] else {
                throw EngineError.shapeMismatch("\(op): input \(describe(x.shape)) has \(channels) channels, so \(name) must have shape (\(channels),), got \(describe(t.shape))")
            }
            guard t.dtype.isFloatingPoint else {
                throw EngineError.dtype("\(op): \(name) must be float16, float32 or float64, got \(t.dtype.name)")
            }
            let perChannel = try reshape(t, broadcastShape)
            out = name == "weight" ? try out * perChannel : try out + perChannel
        }
        return out
    }

    /// Blends the batch average of the instances' mean and unbiased variance into the (C,)
    /// running statistics, in place and outside the graph.
    private static func updateRunningStatistics(_ op: String, _ x: Tensor, positions: Int, _ runningMean: Tensor,
                                                _ runningVar: Tensor, momentum: Double) throws {
        let (batch, channels) = (x.shape[0], x.shape[1])
        for (name, t) in [("running_mean", runningMean), ("running_var", runningVar)] {
            guard t.shape == [channels] else {
                throw EngineError.shapeMismatch("\(op): input \(describe(x.shape)) has \(channels) channels, so \(name) must have shape (\(channels),), got \(describe(t.shape))")
            }
            guard t.dtype == x.dtype else {
                throw EngineError.dtype("\(op): \(name) is \(t.dtype.name) but the input is \(x.dtype.name); running statistics are updated in place, so they must have that dtype")
            }
            guard !t.requiresGrad else {
                throw EngineError.invalidArgument("\(op): \(name) is updated in place, so it must not require grad")
            }
        }
        guard momentum.isFinite else {
            throw EngineError.invalidArgument("\(op): momentum must be a finite number, got \(momentum)")
        }
        let rows = try reshape(x.detached(), [batch, channels, positions])
        let means = try mean(rows, axes: [2], keepDims: true)
        let deviations = try rows - means
        let variances = try sum(deviations * deviations, axes: [2]) * (1 / Double(positions - 1))
        for (running, statistic) in [(runningMean, try mean(means, axes: [0, 2])), (runningVar, try mean(variances, axes: [0]))] {
            let blended = try running.detached() * (1 - momentum) + statistic * momentum
            running.storage.bytes.copyMemory(from: blended.storage.bytes, byteCount: running.byteCount)
        }
    }
}
