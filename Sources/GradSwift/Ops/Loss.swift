/// How a loss combines its per-element (or per-sample) terms. The codes are those of the
/// C ABI's `gs_reduction`.
public enum Reduction: Int32, Sendable {
    /// The average (PyDyNet's and PyTorch's default).
    case mean = 0
    /// The total.
    case sum = 1
    /// No reduction: one loss per element or per sample (PyTorch's `reduction='none'`).
    case none = 2
    /// The total divided by the batch size (the input's first dimension): KL divergence only.
    case batchMean = 3

    /// The name PyTorch uses (`"mean"`).
    public var name: String {
        switch self {
        case .mean: return "mean"
        case .sum: return "sum"
        case .none: return "none"
        case .batchMean: return "batchmean"
        }
    }

    /// Fails for `.batchMean` unless `op` defines it (only the KL divergence does).
    func check(_ op: String, allowsBatchMean: Bool = false) throws {
        guard self != .batchMean || allowsBatchMean else {
            throw EngineError.invalidArgument("\(op): reduction 'batchmean' is only defined for kl_div")
        }
    }
}

extension Ops {
    // MARK: Mean squared error

    /// (pred - target)² with broadcasting, reduced by `reduction` (`.none` keeps the broadcast
    /// shape). The result type is the operands' promoted float type. Both operands get a
    /// gradient when they require one.
    public static func mseLoss(_ pred: Tensor, _ target: Tensor, reduction: Reduction) throws -> Tensor {
        if halfOnly(pred, target) { return try half(mseLoss(single(pred), single(target), reduction: reduction)) }
        let name = "mse_loss"
        try reduction.check(name)
        let shape = try Shape.broadcast(pred.shape, target.shape, op: name)
        let type = DType.promote(pred.dtype, target.dtype).quotientResult
        let a = try cast(pred, to: type), b = try cast(target, to: type)
        let count = try Shape.count(shape, op: name)
        let out: Tensor
        if reduction == .none {
            out = try Tensor(shape: shape, dtype: type, op: name)
            func run<T: FloatElement>(_: T.Type) { Elementwise.map(SquaredDifference<T>.self, a, b, out) }
            try type.dispatchFloat(name, run, run)
        } else {
            func total<T: FloatElement>(_ t: T.Type) -> Double { squaredDifferenceSum(a, b, shape, t) }
            let total = try type.dispatchFloat(name, total, total)
            out = try Tensor.scalar(reduction == .mean ? total / Double(count) : total, dtype: type)
        }
        return try out.recording(name, [pred, target]) { g in
            let twice = try (reduction == .mean ? g * (1 / Double(count)) : g) * 2
            return [pred.requiresGrad ? try twice * (a - b) : nil,
                    target.requiresGrad ? try twice * (b - a) : nil]
        }
    }

    /// Σ (a - b)² over the broadcast `shape`, in double precision, split over the cores.
    private static func squaredDifferenceSum<T: FloatElement>(_ a: Tensor, _ b: Tensor, _ shape: [Int], _: T.Type) -> Double {
        let pa = a.pointer(T.self), pb = b.pointer(T.self)
        let plan = ElementwisePlan(shape: shape, operandShapes: [a.shape, b.shape])
        let sa = plan.step(0), sb = plan.step(1), count = plan.count
        let pieces = max(1, min(Parallel.threads, count / Parallel.minimumElements))
        var partials = [Double](repeating: 0, count: pieces)
        partials.withUnsafeMutableBufferPointer { slots in
            Parallel.forRanges(pieces, grain: 1) { range in
                for p in range {
                    var total = 0.0
                    plan.forEachRun(in: (count * p / pieces)..<(count * (p + 1) / pieces)) { _, off, length in
                        let x = pa + off.0, y = pb + off.1
                        for i in 0..<length {
                            let d = x[i &* sa] - y[i &* sb]
                            total += Double(d * d)
                        }
                    }
                    slots[p] = total
                }
            }
        }
        return partials.reduce(0, +)
    }

    // MARK: Negative log-likelihood and cross-entropy

    /// -logProbs[i, target[i]] for int64 class indices `target` of shape (N,), or
    /// -Σ_c target[i, c]·logProbs[i, c] for probabilities of `logProbs`' shape (N, C);
    /// `.mean` divides by N (PyTorch's semantics), `.none` gives the N per-sample losses.
    public static func nllLoss(_ logProbs: Tensor, _ target: Tensor, reduction: Reduction) throws -> Tensor {
        try classificationLoss(logProbs, target, reduction: reduction, fromLogits: false)
    }

    /// Cross-entropy of `logits` (N, C) against int64 class indices (N,) or probabilities
    /// (N, C), fused: a per-row log-sum-exp forward and a softmax - target backward.
    /// Equals `nllLoss(logSoftmax(logits, axis: 1), target)`; `.mean` divides by N.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, reduction: Reduction) throws -> Tensor {
        try classificationLoss(logits, target, reduction: reduction, fromLogits: true)
    }

    /// Row i's loss is Σ_c t_ic·(lse_i - x_ic), where t is the target (one-hot for indices)
    /// and lse_i the row's log-sum-exp for cross-entropy, 0 for NLL. The input gradient is
    /// s_i·(p_ic·Σ_c t_ic - t_ic) with p = e^(x - lse) (0 for NLL) and s_i the reduction's
    /// weight of row i; probability targets get s_i·(lse_i - x_ic). lse_i is kept as the row
    /// maximum m_i plus log Σ_c e^(x_ic - m_i), and lse_i - x_ic computed as
    /// (m_i - x_ic) + log Σ, so large logits lose no precision.
    private static func classificationLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction,
                                           fromLogits: Bool) throws -> Tensor {
        if halfOnly(input, target) {
            return try half(classificationLoss(single(input), single(target), reduction: reduction, fromLogits: fromLogits))
        }
        let name = fromLogits ? "cross_entropy" : "nll_loss"
        let what = fromLogits ? "logits" : "log-probabilities"
        try reduction.check(name)
        guard input.rank == 2 else {
            throw EngineError.invalidArgument("\(name): \(what) must be 2-D (N, C), got shape \(describe(input.shape))")
        }
        guard input.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(name): \(what) must be float16, float32 or float64, got \(input.dtype.name)")
        }
        let (n, c) = (input.shape[0], input.shape[1])
        let t: Tensor
        let indices: Bool
        if target.rank == 1 {
            guard target.dtype.isInteger else {
                throw EngineError.dtype("\(name): class-index targets must be integers, got \(target.dtype.name) (probability targets need the \(what)' shape \(describe(input.shape)))")
            }
            guard target.shape[0] == n else {
                throw EngineError.shapeMismatch("\(name): target has \(target.shape[0]) labels for a batch of \(n) (\(what) \(describe(input.shape)))")
            }
            // A private copy: the backward pass writes at these indices, so they must not change.
            let copy = try cast(target, to: .int64, copy: true)
            let labels = copy.pointer(Int64.self)
            if let bad = (0..<n).first(where: { labels[$0] < 0 || labels[$0] >= Int64(c) }) {
                throw EngineError.index("\(name): target \(labels[bad]) is out of range for \(c) classes")
            }
            (t, indices) = (copy, true)
        } else if target.shape == input.shape {
            (t, indices) = (try cast(target, to: input.dtype), false)
        } else {
            throw EngineError.shapeMismatch("\(name): target must be int64 class indices of shape (\(n),) or probabilities of the \(what)' shape \(describe(input.shape)), got shape \(describe(target.shape))")
        }

        // Per row: its loss, its log-sum-exp as (max, log Σ) (0 for NLL) and its target mass Σ_c t_ic.
        let losses = try Tensor(shape: [n], dtype: .float64, op: name)
        let lse = try Tensor(shape: [n, 2], dtype: .float64, zeroed: true, op: name)
        let mass = try Tensor(shape: [n], dtype: .float64, op: name)
        func run<T: FloatElement>(_: T.Type) {
            ClassRows<T>.forward(input, t, indices: indices, fromLogits: fromLogits, losses, lse, mass)
        }
        try input.dtype.dispatchFloat(name, run, run)
        let out: Tensor
        if reduction == .none {
            out = try cast(losses, to: input.dtype, copy: true)
        } else {
            let perRow = losses.pointer(Double.self)
            let total = (0..<n).reduce(0.0) { $0 + perRow[$1] }
            out = try Tensor.scalar(reduction == .mean ? total / Double(n) : total, dtype: input.dtype)
        }
        let rule = ClassificationRule(name: name, reduction: reduction, fromLogits: fromLogits, indices: indices)
        return try out.recording(name, [input, target]) { g in
            [input.requiresGrad ? try rule.inputGradient(g, input, t) : nil,
             !indices && target.requiresGrad ? try rule.targetGradient(g, input) : nil]
        }
    }
}

/// The backward of NLL and cross-entropy (see `Ops.classificationLoss`) for one reduction and
/// kind of target.
private struct ClassificationRule {
    let name: String, reduction: Reduction, fromLogits: Bool
    /// True for int64 class indices, false for probabilities.
    let indices: Bool

    /// s_i, the weight of row i's loss in the output times the output gradient `g`, as a
    /// column (N, 1) or, for the reductions, a 0-d tensor.
    func rowWeights(_ g: Tensor, rows n: Int) throws -> Tensor {
        switch reduction {
        case .none: return try Ops.reshape(g, [n, 1])
        case .sum: return g
        case .mean, .batchMean: return try g * (1 / Double(n))  // both are sum / N here
        }
    }

    /// The input gradient s_i·(p_ic·Σ_c t_ic - t_ic) (p = softmax(input) for cross-entropy, 0
    /// for NLL), fused. An op of its own: its backward is derived from the same math written with
    /// ops (the class indices' one-hot rows are constants).
    func inputGradient(_ g: Tensor, _ input: Tensor, _ target: Tensor) throws -> Tensor {
        let op = name + "_backward"
        let (n, c) = (input.shape[0], input.shape[1])
        let losses = try Tensor(shape: [n], dtype: .float64, op: op)
        let lse = try Tensor(shape: [n, 2], dtype: .float64, zeroed: true, op: op)
        let mass = try Tensor(shape: [n], dtype: .float64, op: op)
        let weights = try Ops.cast(Ops.expand(rowWeights(g, rows: n), to: [n, 1]), to: .float64)
        let grad = try Tensor(shape: [n, c], dtype: input.dtype, op: op)
        func run<T: FloatElement>(_: T.Type) {
            ClassRows<T>.forward(input, target, indices: indices, fromLogits: fromLogits, losses, lse, mass)
            ClassRows<T>.backward(input, target, indices: indices, fromLogits: fromLogits, lse, mass, weights, grad, nil)
        }
        try input.dtype.dispatchFloat(op, run, run)
        return try grad.recording(op, indices ? [g, input] : [g, input, target], composite: { v in
            let (g, x) = (v[0], v[1])
            let t = indices ? try oneHot(target, classes: c, dtype: x.dtype) : v[2]
            let s = try rowWeights(g, rows: n)
            guard fromLogits else { return try -(s * t) }
            return try s * (Ops.softmax(x, axis: 1) * Ops.sum(t, axes: [1], keepDims: true) - t)
        })
    }

    /// The gradient of probability targets: s_i·(lse_i - x_ic) for cross-entropy, -s_i·x_ic for NLL.
    func targetGradient(_ g: Tensor, _ input: Tensor) throws -> Tensor {
        let s = try rowWeights(g, rows: input.shape[0])
        return fromLogits ? try -(s * Ops.logSoftmax(input, axis: 1)) : try -(s * input)
    }

    /// Rows of `classes` zeros with a one at each label.
    private func oneHot(_ labels: Tensor, classes: Int, dtype: DType) throws -> Tensor {
        var values = [Double](repeating: 0, count: labels.count * classes)
        for i in 0..<labels.count { values[i * classes + Int(labels.pointer(Int64.self)[i])] = 1 }
        let rows = try values.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .float64, shape: [labels.count, classes]) }
        return try Ops.cast(rows, to: dtype)
    }
}

/// The row loops of NLL and cross-entropy over an (N, C) input, split over the cores by rows.
enum ClassRows<T: FloatElement> {
    /// Fills `losses` (N,), `lse` (N, 2: each row's maximum and log Σ e^(x - max);
    /// cross-entropy only, left 0 for NLL) and `mass` (N,), all float64.
    static func forward(_ input: Tensor, _ target: Tensor, indices: Bool, fromLogits: Bool,
                        _ losses: Tensor, _ lse: Tensor, _ mass: Tensor) {
        let (n, c) = (input.shape[0], input.shape[1])
        let x = input.pointer(T.self)
        let loss = losses.pointer(Double.self), l = lse.pointer(Double.self), m = mass.pointer(Double.self)
        Parallel.forRanges(n, grain: max(1, Parallel.minimumElements / max(c, 1))) { range in
            for i in range {
                let row = x + i * c
                if fromLogits { (l[2 * i], l[2 * i + 1]) = logSumExp(row, c) }
                let (top, logSum) = (T(l[2 * i]), l[2 * i + 1])
                if indices {
                    m[i] = 1
                    loss[i] = Double(top - row[Int(target.pointer(Int64.self)[i])]) + logSum
                } else {
                    let t = target.pointer(T.self) + i * c
                    var (s, d) = (0.0, 0.0)
                    for j in 0..<c {
                        s += Double(t[j])
                        d += Double(t[j]) * Double(top - row[j])
                    }
                    m[i] = s
                    loss[i] = d + s * logSum
                }
            }
        }
    }

    /// Writes the input gradient (when `inputGrad` is given) and the probability target's
    /// gradient (when `targetGrad` is given) from the row weights `weights`.
    static func backward(_ input: Tensor, _ target: Tensor, indices: Bool, fromLogits: Bool,
                         _ lse: Tensor, _ mass: Tensor, _ weights: Tensor,
                         _ inputGrad: Tensor?, _ targetGrad: Tensor?) {
        let (n, c) = (input.shape[0], input.shape[1])
        let x = input.pointer(T.self)
        let l = lse.pointer(Double.self), m = mass.pointer(Double.self), w = weights.pointer(Double.self)
        Parallel.forRanges(n, grain: max(1, Parallel.minimumElements / max(c, 1))) { range in
            for i in range {
                let row = x + i * c
                let s = T(w[i]), top = T(l[2 * i]), logSum = T(l[2 * i + 1])
                if let inputGrad {
                    let out = inputGrad.pointer(T.self) + i * c
                    let p = T(w[i] * m[i])  // s_i·Σ_c t_ic, the weight of the softmax term
                    if fromLogits {
                        for j in 0..<c { out[j] = p * T.exp((row[j] - top) - logSum) }
                    } else {
                        for j in 0..<c { out[j] = 0 }
                    }
                    if indices {
                        out[Int(target.pointer(Int64.self)[i])] -= s
                    } else {
                        let t = target.pointer(T.self) + i * c
                        for j in 0..<c { out[j] -= s * t[j] }
                    }
                }
                if let targetGrad {
                    let out = targetGrad.pointer(T.self) + i * c
                    for j in 0..<c { out[j] = s * ((top - row[j]) + logSum) }
                }
            }
        }
    }

    /// (m, log Σ e^(row - m)) with m the row's maximum, the sum in double precision.
    @inline(__always)
    private static func logSumExp(_ row: UnsafeMutablePointer<T>, _ c: Int) -> (Double, Double) {
        var m = -T.infinity
        for j in 0..<c where row[j] > m { m = row[j] }
        if !m.isFinite { return (Double(m), 0) }  // an infinite maximum (or no classes) decides alone
        var total = 0.0
        for j in 0..<c { total += Double(T.exp(row[j] - m)) }
        return (Double(m), Double.log(total))
    }
}

// MARK: Kernels

/// (a - b)²
enum SquaredDifference<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T {
        let d = a - b
        return d * d
    }
}
