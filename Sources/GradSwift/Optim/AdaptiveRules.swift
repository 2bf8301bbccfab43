#if canImport(Glibc)
import Glibc
#endif

// The update rules added for PyTorch users: AdamW, RMSprop, Adamax and NAdam, each with
// PyTorch 2's formulas. `g` is the gradient, negated when `maximize`; `t` is the step count.

/// Dispatches a rule's loop on the parameter's dtype.
@inline(__always)
private func forFloat(_ value: Tensor, _ f32: () -> Void, _ f64: () -> Void) {
    if value.dtype == .float32 { f32() } else { f64() }
}

/// AdamW (decoupled weight decay): `p *= 1 - lr * weight_decay`, `m = b1 m + (1 - b1) g`,
/// `v = b2 v + (1 - b2) g²`, `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`;
/// with `amsgrad` the running maximum of `v` (buffer `max_v`) replaces `v` in the step.
public struct AdamW: UpdateRule {
    /// The class name.
    public let kind = "AdamW"
    /// The state buffers of each parameter.
    public var bufferNames: [String] { amsgrad ? ["m", "v", "max_v"] : ["m", "v"] }
    /// Decay rates of the moment estimates.
    public let beta1, beta2: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// Decoupled weight decay factor.
    public let weightDecay: Double
    /// Use the running maximum of the second moment.
    public let amsgrad: Bool
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"]
    /// The settings.
    public var options: [Double] { [beta1, beta2, eps, weightDecay, amsgrad ? 1 : 0, maximize ? 1 : 0] }

    /// Builds the rule from `optionNames`-ordered settings: betas in [0, 1), eps and weight decay >= 0.
    public init(options o: [Double]) throws {
        try Self.check(o[0], 0...1, "beta1", "AdamW", upperOpen: true)
        try Self.check(o[1], 0...1, "beta2", "AdamW", upperOpen: true)
        try Self.check(o[2], 0...Double.greatestFiniteMagnitude, "eps", "AdamW")
        try Self.check(o[3], 0...Double.greatestFiniteMagnitude, "weight_decay", "AdamW")
        (beta1, beta2, eps, weightDecay) = (o[0], o[1], o[2], o[3])
        amsgrad = try Self.flag(o[4], "amsgrad", "AdamW")
        maximize = try Self.flag(o[5], "maximize", "AdamW")
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        forFloat(value, { run(Float.self, value, grad, state, learningRate, step) },
                 { run(Double.self, value, grad, state, learningRate, step) })
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double, _ step: Int) {
        let t = Double(step)
        let (p, g, m, v) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self), state[1].pointer(T.self))
        let maxV = amsgrad ? state[2].pointer(T.self) : nil
        let (b1, b2, eps, sign) = (T(beta1), T(beta2), T(eps), T(maximize ? -1 : 1))
        let shrink = T(1 - rate * weightDecay), size = T(rate / (1 - pow(beta1, t)))
        let root2 = T((1 - pow(beta2, t)).squareRoot())
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i]
                p[i] *= shrink
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                var second = v[i]
                if let maxV {
                    maxV[i] = max(maxV[i], v[i])
                    second = maxV[i]
                }
                p[i] -= size * m[i] / (second.squareRoot() / root2 + eps)
            }
        }
    }
}

/// RMSprop: `g += weight_decay * p`, `s = alpha s + (1 - alpha) g²`; centered:
/// `a = alpha a + (1 - alpha) g`, `avg = sqrt(s - a²) + eps`, else `avg = sqrt(s) + eps`; with
/// momentum `b = momentum b + g / avg`, `p -= lr b`, else `p -= lr g / avg`.
public struct RMSprop: UpdateRule {
    /// The class name.
    public let kind = "RMSprop"
    /// The state buffers of each parameter.
    public var bufferNames: [String] {
        ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
    }
    /// Smoothing constant of the running averages.
    public let alpha: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// Momentum factor (0: no momentum buffer).
    public let momentum: Double
    /// Normalise by the estimated variance instead of the second moment.
    public let centered: Bool
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["alpha", "eps", "weight_decay", "momentum", "centered", "maximize"]
    /// The settings.
    public var options: [Double] { [alpha, eps, weightDecay, momentum, centered ? 1 : 0, maximize ? 1 : 0] }

    /// Builds the rule from `optionNames`-ordered settings: alpha, eps, weight decay, momentum >= 0.
    public init(options o: [Double]) throws {
        try Self.check(o[0], 0...Double.greatestFiniteMagnitude, "alpha", "RMSprop")
        try Self.check(o[1], 0...Double.greatestFiniteMagnitude, "eps", "RMSprop")
        try Self.check(o[2], 0...Double.greatestFiniteMagnitude, "weight_decay", "RMSprop")
        try Self.check(o[3], 0...Double.greatestFiniteMagnitude, "momentum", "RMSprop")
        (alpha, eps, weightDecay, momentum) = (o[0], o[1], o[2], o[3])
        centered = try Self.flag(o[4], "centered", "RMSprop")
        maximize = try Self.flag(o[5], "maximize", "RMSprop")
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        forFloat(value, { run(Float.self, value, grad, state, learningRate) }, { run(Double.self, value, grad, state, learningRate) })
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double) {
        let (p, g, s) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self))
        let buffer = momentum > 0 ? state[1].pointer(T.self) : nil
        let average = centered ? state[momentum > 0 ? 2 : 1].pointer(T.self) : nil
        let (lr, a, eps, decay, mu, sign) = (T(rate), T(alpha), T(eps), T(weightDecay), T(momentum), T(maximize ? -1 : 1))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                s[i] = a * s[i] + (1 - a) * d * d
                var second = s[i]
                if let average {
                    average[i] = a * average[i] + (1 - a) * d
                    second -= average[i] * average[i]
                }
                let avg = second.squareRoot() + eps
                if let buffer {
                    buffer[i] = mu * buffer[i] + d / avg
                    p[i] -= lr * buffer[i]
                } else {
                    p[i] -= lr * d / avg
                }
            }
        }
    }
}

/// Adamax: `g += weight_decay * p`, `m = b1 m + (1 - b1) g`, `u = max(b2 u, |g| + eps)`,
/// `p -= lr / (1 - b1^t) * m / u`.
public struct Adamax: UpdateRule {
    /// The class name.
    public let kind = "Adamax"
    /// The state buffers of each parameter.
    public let bufferNames = ["exp_avg", "exp_inf"]
    /// Decay rates of the first moment and of the infinity norm.
    public let beta1, beta2: Double
    /// Added to |g| for stability.
    public let eps: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["beta1", "beta2", "eps", "weight_decay", "maximize"]
    /// The settings.
    public var options: [Double] { [beta1, beta2, eps, weightDecay, maximize ? 1 : 0] }

    /// Builds the rule from `optionNames`-ordered settings: betas in [0, 1), eps and weight decay >= 0.
    public init(options o: [Double]) throws {
        try Self.check(o[0], 0...1, "beta1", "Adamax", upperOpen: true)
        try Self.check(o[1], 0...1, "beta2", "Adamax", upperOpen: true)
        try Self.check(o[2], 0...Double.greatestFiniteMagnitude, "eps", "Adamax")
        try Self.check(o[3], 0...Double.greatestFiniteMagnitude, "weight_decay", "Adamax")
        (beta1, beta2, eps, weightDecay) = (o[0], o[1], o[2], o[3])
        maximize = try Self.flag(o[4], "maximize", "Adamax")
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        forFloat(value, { run(Float.self, value, grad, state, learningRate, step) },
                 { run(Double.self, value, grad, state, learningRate, step) })
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double, _ step: Int) {
        let (p, g, m, u) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self), state[1].pointer(T.self))
        let (b1, b2, eps, decay, sign) = (T(beta1), T(beta2), T(eps), T(weightDecay), T(maximize ? -1 : 1))
        let size = T(rate / (1 - pow(beta1, Double(step))))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                m[i] = b1 * m[i] + (1 - b1) * d
                u[i] = max(b2 * u[i], abs(d) + eps)
                p[i] -= size * m[i] / u[i]
            }
        }
    }
}

/// NAdam (PyTorch's form): `g += weight_decay * p`, `mu_t = b1 (1 - 0.96^(t psi) / 2)` with
/// `psi = momentum_decay`, `P_t = mu_1 ... mu_t`, `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
/// `denom = sqrt(v / (1 - b2^t)) + eps`,
/// `p -= lr (1 - mu_t) / (1 - P_t) g / denom + lr mu_(t+1) / (1 - P_t mu_(t+1)) m / denom`.
public struct NAdam: UpdateRule {
    /// The class name.
    public let kind = "NAdam"
    /// The state buffers of each parameter.
    public let bufferNames = ["exp_avg", "exp_avg_sq"]
    /// Decay rates of the moment estimates.
    public let beta1, beta2: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// The momentum schedule's decay `psi`.
    public let momentumDecay: Double
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["beta1", "beta2", "eps", "weight_decay", "momentum_decay", "maximize"]
    /// The settings.
    public var options: [Double] { [beta1, beta2, eps, weightDecay, momentumDecay, maximize ? 1 : 0] }
    /// The last product `P_t` computed, reused by the next step.
    private let product = MomentumProduct()

    /// Builds the rule from `optionNames`-ordered settings: betas in [0, 1), the others >= 0.
    public init(options o: [Double]) throws {
        try Self.check(o[0], 0...1, "beta1", "NAdam", upperOpen: true)
        try Self.check(o[1], 0...1, "beta2", "NAdam", upperOpen: true)
        try Self.check(o[2], 0...Double.greatestFiniteMagnitude, "eps", "NAdam")
        try Self.check(o[3], 0...Double.greatestFiniteMagnitude, "weight_decay", "NAdam")
        try Self.check(o[4], 0...Double.greatestFiniteMagnitude, "momentum_decay", "NAdam")
        (beta1, beta2, eps, weightDecay, momentumDecay) = (o[0], o[1], o[2], o[3], o[4])
        maximize = try Self.flag(o[5], "maximize", "NAdam")
    }

    /// `mu_t`.
    private func mu(_ t: Int) -> Double { beta1 * (1 - 0.5 * pow(0.96, Double(t) * momentumDecay)) }

    /// `P_t`, from the cached `P_(t-1)` when there is one.
    private func productThrough(_ t: Int) -> Double {
        if product.step != t {
            var value = product.step == t - 1 ? product.value : 1.0
            for k in (product.step == t - 1 ? t : 1)...t { value *= mu(k) }
            (product.step, product.value) = (t, value)
        }
        return product.value
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        let (muNow, muNext, total) = (mu(step), mu(step + 1), productThrough(step))
        let gradScale = learningRate * (1 - muNow) / (1 - total)
        let averageScale = learningRate * muNext / (1 - total * muNext)
        let correction = 1 - pow(beta2, Double(step))
        forFloat(value, { run(Float.self, value, grad, state, gradScale, averageScale, correction) },
                 { run(Double.self, value, grad, state, gradScale, averageScale, correction) })
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor],
                                      _ gradScale: Double, _ averageScale: Double, _ correction: Double) {
        let (p, g, m, v) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self), state[1].pointer(T.self))
        let (b1, b2, eps, decay, sign) = (T(beta1), T(beta2), T(eps), T(weightDecay), T(maximize ? -1 : 1))
        let (scaleG, scaleM, c2) = (T(gradScale), T(averageScale), T(correction))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                let denom = (v[i] / c2).squareRoot() + eps
                p[i] -= scaleG * d / denom + scaleM * m[i] / denom
            }
        }
    }
}

/// Memo of NAdam's momentum product `P_t` (a function of the settings and `t` only).
private final class MomentumProduct: @unchecked Sendable {
    /// The step `value` belongs to (0: none yet).
    var step = 0
    /// `P_step`.
    var value = 1.0
}
