#if canImport(Glibc)
import Glibc
#endif

/// Losses made of one term per element (PyTorch's L1, smooth L1, Huber, binary cross-entropy,
/// with logits or on probabilities, and Kullback-Leibler divergence), written with ops: their
/// backward, of every order, is that of the ops. Input and target broadcast together and are
/// promoted to their common float dtype; `.mean` averages over every element, `.batchMean`
/// (KL divergence only) divides the sum by the input's first dimension.
extension Ops {
    /// |input - target|, reduced.
    public static func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction) throws -> Tensor {
        let (x, y) = try lossOperands("l1_loss", input, target, reduction)
        return try reduce(abs(x - y), reduction, input, target)
    }

    /// 0.5·d²/beta where |d| < beta, |d| - 0.5·beta elsewhere (d = input - target); beta >= 0,
    /// and beta 0 is the L1 loss.
    public static func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction, beta: Double) throws -> Tensor {
        let op = "smooth_l1_loss"
        try checkSmoothL1(beta: beta)
        let (x, y) = try lossOperands(op, input, target, reduction)
        let distance = try abs(x - y)
        if beta == 0 { return try reduce(distance, reduction, input, target) }
        let near = try Ops.lt(distance, Tensor.scalar(beta, dtype: distance.dtype))
        let terms = try Ops.where(near, square(distance) * (0.5 / beta), distance - 0.5 * beta)
        return try reduce(terms, reduction, input, target)
    }

    /// 0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere (d = input - target);
    /// delta > 0. Equals delta times the smooth L1 loss with beta = delta.
    public static func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction, delta: Double) throws -> Tensor {
        let op = "huber_loss"
        try checkHuber(delta: delta)
        let (x, y) = try lossOperands(op, input, target, reduction)
        let distance = try abs(x - y)
        let near = try Ops.lt(distance, Tensor.scalar(delta, dtype: distance.dtype))
        let terms = try Ops.where(near, square(distance) * 0.5, (distance - 0.5 * delta) * delta)
        return try reduce(terms, reduction, input, target)
    }

    /// -weight·(t·log p + (1 - t)·log(1 - p)) for probabilities p = `input` in [0, 1], each log
    /// bounded below by -100 (PyTorch's rule, so p = 0 or 1 gives a finite loss and gradient).
    /// `weight` (optional) broadcasts against the terms.
    public static func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor?,
                                          reduction: Reduction) throws -> Tensor {
        let op = "binary_cross_entropy"
        let (p, t) = try lossOperands(op, input, target, reduction)
        guard p.shape == t.shape else {
            throw EngineError.shapeMismatch("\(op): target shape \(describe(target.shape)) must equal the input shape \(describe(input.shape))")
        }
        try checkProbabilities(op, p)
        // log(max(p, e^-100)), then max(., -100): finite at p = 0, with a zero gradient there.
        func boundedLog(_ q: Tensor) throws -> Tensor {
            try clamp(log(clamp(q, min: Glibc.exp(-100), max: nil, kind: .float)), min: -100, max: nil, kind: .float)
        }
        let terms = try -(t * boundedLog(p) + (1 - t) * boundedLog(1 - p))
        return try reduce(weighted(op, terms, weight), reduction, input, target)
    }

    /// -weight·(pos_weight·t·log σ(x) + (1 - t)·log(1 - σ(x))) for logits x = `input`, with
    /// log σ computed without overflow. `posWeight` (optional) broadcasts against the last
    /// dimension (one weight per class); `weight` against the terms.
    public static func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor?, posWeight: Tensor?,
                                                    reduction: Reduction) throws -> Tensor {
        let op = "binary_cross_entropy_with_logits"
        let (x, t) = try lossOperands(op, input, target, reduction)
        guard x.shape == t.shape else {
            throw EngineError.shapeMismatch("\(op): target shape \(describe(target.shape)) must equal the input shape \(describe(input.shape))")
        }
        let positive = try posWeight.map { try weighted(op, t, $0, name: "pos_weight") } ?? t
        let terms = try -(positive * logsigmoid(x) + (1 - t) * logsigmoid(-x))
        return try reduce(weighted(op, terms, weight), reduction, input, target)
    }

    /// Σ target·(log target - input) for log-probabilities `input`: terms where target is 0
    /// count 0. With `logTarget` the target is given as log-probabilities:
    /// e^target·(target - input). PyTorch's `batchmean` is `.batchMean`.
    public static func klDiv(_ input: Tensor, _ target: Tensor, reduction: Reduction, logTarget: Bool) throws -> Tensor {
        let op = "kl_div"
        let (x, t) = try lossOperands(op, input, target, reduction, allowsBatchMean: true)
        let terms: Tensor
        if logTarget {
            terms = try exp(t) * (t - x)
        } else {
            let positive = try Ops.gt(t, Tensor.scalar(0, dtype: t.dtype))
            // t·log t with 0·log 0 = 0; log reads 1 where t is 0, so no infinity enters the gradient
            let entropyTerm = try t * log(Ops.where(positive, t, Tensor.scalar(1, dtype: t.dtype)))
            terms = try entropyTerm - t * x
        }
        return try reduce(terms, reduction, input, target)
    }

    /// Fails unless the smooth L1 loss's `beta` is a finite number >= 0.
    public static func checkSmoothL1(beta: Double) throws {
        guard beta.isFinite && beta >= 0 else {
            throw EngineError.invalidArgument("smooth_l1_loss: beta must be a finite number >= 0, got \(beta)")
        }
    }

    /// Fails unless the Huber loss's `delta` is a finite number > 0.
    public static func checkHuber(delta: Double) throws {
        guard delta.isFinite && delta > 0 else {
            throw EngineError.invalidArgument("huber_loss: delta must be a finite number > 0, got \(delta)")
        }
    }

    // MARK: Shared steps

    /// Input and target promoted to their common float dtype, after checking the reduction.
    private static func lossOperands(_ op: String, _ input: Tensor, _ target: Tensor, _ reduction: Reduction,
                                     allowsBatchMean: Bool = false) throws -> (Tensor, Tensor) {
        try reduction.check(op, allowsBatchMean: allowsBatchMean)
        if reduction == .batchMean && input.rank == 0 {
            throw EngineError.invalidArgument("\(op): reduction 'batchmean' needs an input with a batch dimension, got shape ()")
        }
        _ = try Shape.broadcast(input.shape, target.shape, op: op)
        // float16 is computed in float32 (`reduce` rounds the loss back).
        let type = DType.promote(input.dtype, target.dtype).quotientResult.computeType
        return (try cast(input, to: type), try cast(target, to: type))
    }

    /// `terms` combined by `reduction`; `.batchMean` divides the sum by `input`'s first
    /// dimension. Rounded to float16 when input and target are (`halfOnly`).
    private static func reduce(_ terms: Tensor, _ reduction: Reduction, _ input: Tensor, _ target: Tensor) throws -> Tensor {
        let loss: Tensor
        switch reduction {
        case .none: loss = terms
        case .sum: loss = try sum(terms)
        case .mean: loss = try mean(terms)
        case .batchMean: loss = try sum(terms) / Double(Swift.max(input.shape[0], 1))
        }
        return halfOnly(input, target) ? try half(loss) : loss
    }

    /// `terms` times an optional float `weight` that broadcasts to the terms' shape.
    private static func weighted(_ op: String, _ terms: Tensor, _ weight: Tensor?, name: String = "weight") throws -> Tensor {
        guard let weight else { return terms }
        guard weight.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): \(name) must be float16, float32 or float64, got \(weight.dtype.name)")
        }
        guard (try? Shape.broadcast(weight.shape, terms.shape, op: op)) == terms.shape else {
            throw EngineError.shapeMismatch("\(op): \(name) of shape \(describe(weight.shape)) must broadcast to the input shape \(describe(terms.shape))")
        }
        return try terms * cast(weight, to: terms.dtype)
    }

    /// Fails unless every element of the float tensor `p` is in [0, 1] (NaN included).
    private static func checkProbabilities(_ op: String, _ p: Tensor) throws {
        func outside<T: FloatElement>(_: T.Type) -> Bool {
            let values = UnsafeBufferPointer(start: p.pointer(T.self), count: p.count)
            return values.contains { !($0 >= 0 && $0 <= 1) }
        }
        if try p.dtype.dispatchFloat(op, outside, outside) {
            throw EngineError.invalidArgument("\(op): all elements of input should be between 0 and 1")
        }
    }
}
