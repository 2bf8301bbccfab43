#if canImport(Glibc)
import Glibc
#endif

// The update rules of SGD, Adam, Adagrad and Adadelta. `g` below is the gradient (negated
// when `maximize`) plus `weightDecay * p` (L2 decay, as PyDyNet and PyTorch). Each rule is one fused pass over the
// parameter, its gradient and its state, split over the cores (Parallel.threads) for large
// parameters.

/// SGD with momentum: `b = momentum * b + g`, then `p -= lr * b`, or with Nesterov
/// `p -= lr * (g + momentum * b)` (PyTorch's form; PyDyNet's Nesterov step subtracts
/// `b + lr * g`, which is not Nesterov's method). Without momentum, `p -= lr * g`.
/// For plain momentum this equals PyDyNet's `v = momentum * v + lr * g; p -= v` at a fixed rate.
public struct SGD: UpdateRule {
    /// The class name.
    public let kind = "SGD"
    /// The state buffers of each parameter.
    public var bufferNames: [String] { momentum == 0 ? [] : ["momentum_buffer"] }
    /// Momentum factor (0 disables the buffer).
    public let momentum: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// Use Nesterov's look-ahead step.
    public let nesterov: Bool
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["momentum", "weight_decay", "nesterov", "maximize"]
    /// The settings.
    public var options: [Double] { [momentum, weightDecay, nesterov ? 1 : 0, maximize ? 1 : 0] }

    /// Checks momentum and weight decay are finite and >= 0.
    public init(momentum: Double, weightDecay: Double, nesterov: Bool, maximize: Bool = false) throws {
        try Self.check(momentum, 0...Double.greatestFiniteMagnitude, "momentum", "SGD")
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", "SGD")
        (self.momentum, self.weightDecay, self.nesterov, self.maximize) = (momentum, weightDecay, nesterov, maximize)
    }

    /// Builds the rule from `optionNames`-ordered settings.
    public init(options o: [Double]) throws {
        try self.init(momentum: o[0], weightDecay: o[1], nesterov: Self.flag(o[2], "nesterov", "SGD"),
                      maximize: Self.flag(o[3], "maximize", "SGD"))
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        switch value.dtype {
        case .float32: run(Float.self, value, grad, state, learningRate)
        default: run(Double.self, value, grad, state, learningRate)
        }
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double) {
        let (p, g) = (value.pointer(T.self), grad.pointer(T.self))
        let (lr, decay, mu, sign) = (T(rate), T(weightDecay), T(momentum), T(maximize ? -1 : 1))
        guard let buffer = state.first?.pointer(T.self) else {
            Parallel.forRanges(value.count) { r in for i in r { p[i] -= lr * (sign * g[i] + decay * p[i]) } }
            return
        }
        let nesterov = self.nesterov
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                let b = mu * buffer[i] + d
                buffer[i] = b
                p[i] -= lr * (nesterov ? d + mu * b : b)
            }
        }
    }
}

/// Adam as PyDyNet (and the Adam paper's efficient form) computes it:
/// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
/// `p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`; with `amsgrad`, the running
/// maximum of `v` (buffer `max_v`) replaces `v` in the step.
public struct Adam: UpdateRule {
    /// The class name.
    public let kind = "Adam"
    /// The state buffers of each parameter.
    public var bufferNames: [String] { amsgrad ? ["m", "v", "max_v"] : ["m", "v"] }
    /// Decay rates of the first and second moment estimates.
    public let beta1, beta2: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// Use the running maximum of the second moment (AMSGrad).
    public let amsgrad: Bool
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"]
    /// The settings.
    public var options: [Double] { [beta1, beta2, eps, weightDecay, amsgrad ? 1 : 0, maximize ? 1 : 0] }

    /// Checks betas in [0, 1), eps and weight decay finite and >= 0.
    public init(beta1: Double, beta2: Double, eps: Double, weightDecay: Double, amsgrad: Bool = false,
                maximize: Bool = false) throws {
        try Self.check(beta1, 0...1, "beta1", "Adam", upperOpen: true)
        try Self.check(beta2, 0...1, "beta2", "Adam", upperOpen: true)
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", "Adam")
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", "Adam")
        (self.beta1, self.beta2, self.eps, self.weightDecay) = (beta1, beta2, eps, weightDecay)
        (self.amsgrad, self.maximize) = (amsgrad, maximize)
    }

    /// Builds the rule from `optionNames`-ordered settings.
    public init(options o: [Double]) throws {
        try self.init(beta1: o[0], beta2: o[1], eps: o[2], weightDecay: o[3],
                      amsgrad: Self.flag(o[4], "amsgrad", "Adam"), maximize: Self.flag(o[5], "maximize", "Adam"))
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        let t = Double(step)
        let stepSize = learningRate * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        switch value.dtype {
        case .float32: run(Float.self, value, grad, state, stepSize)
        default: run(Double.self, value, grad, state, stepSize)
        }
    }

    private func run<T: FloatElement & SIMDScalar>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ stepSize: Double) {
        let (p, g, m, v) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self), state[1].pointer(T.self))
        let (b1, b2, eps, decay, size) = (T(beta1), T(beta2), T(eps), T(weightDecay), T(stepSize))
        let sign = T(maximize ? -1 : 1)
        if amsgrad {
            let maxV = state[2].pointer(T.self)
            Parallel.forRanges(value.count) { r in
                for i in r {
                    let d = sign * g[i] + decay * p[i]
                    m[i] = b1 * m[i] + (1 - b1) * d
                    v[i] = b2 * v[i] + (1 - b2) * d * d
                    maxV[i] = max(maxV[i], v[i])
                    p[i] -= size * m[i] / (maxV[i].squareRoot() + eps)
                }
            }
            return
        }
        // Eight lanes at a time (the square root and division do not auto-vectorise), then the tail.
        let (b1x, b2x, epsx, decayx, sizex) = (SIMD8(repeating: b1), SIMD8(repeating: b2), SIMD8(repeating: eps),
                                               SIMD8(repeating: decay), SIMD8(repeating: size))
        let signx = SIMD8(repeating: sign)
        Parallel.forRanges(value.count) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let pi = SIMD8<T>.load(p + i), d = signx * SIMD8<T>.load(g + i) + decayx * pi
                let mi = b1x * SIMD8<T>.load(m + i) + (1 - b1x) * d
                let vi = b2x * SIMD8<T>.load(v + i) + (1 - b2x) * d * d
                mi.store(to: m + i)
                vi.store(to: v + i)
                (pi - sizex * mi / (vi.squareRoot() + epsx)).store(to: p + i)
                i += 8
            }
            for i in i..<r.upperBound {
                let d = sign * g[i] + decay * p[i]
                let mi = b1 * m[i] + (1 - b1) * d
                let vi = b2 * v[i] + (1 - b2) * d * d
                m[i] = mi
                v[i] = vi
                p[i] -= size * mi / (vi.squareRoot() + eps)
            }
        }
    }
}

extension SIMD8 {
    /// Eight elements read from `pointer` (any alignment).
    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Scalar>) -> SIMD8 {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8.self)
    }

    /// Writes the eight elements to `pointer` (any alignment).
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8.self)
    }
}

/// Adagrad as PyDyNet computes it: `G += g²`, `p -= lr * g / sqrt(G + eps)`.
public struct Adagrad: UpdateRule {
    /// The class name.
    public let kind = "Adagrad"
    /// The state buffers of each parameter.
    public let bufferNames = ["sum"]
    /// L2 weight decay.
    public let weightDecay: Double
    /// Added under the square root for stability.
    public let eps: Double
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["weight_decay", "eps", "maximize"]
    /// The settings.
    public var options: [Double] { [weightDecay, eps, maximize ? 1 : 0] }

    /// Checks eps and weight decay are finite and >= 0.
    public init(weightDecay: Double, eps: Double, maximize: Bool = false) throws {
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", "Adagrad")
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", "Adagrad")
        (self.weightDecay, self.eps, self.maximize) = (weightDecay, eps, maximize)
    }

    /// Builds the rule from `optionNames`-ordered settings.
    public init(options o: [Double]) throws {
        try self.init(weightDecay: o[0], eps: o[1], maximize: Self.flag(o[2], "maximize", "Adagrad"))
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        switch value.dtype {
        case .float32: run(Float.self, value, grad, state, learningRate)
        default: run(Double.self, value, grad, state, learningRate)
        }
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double) {
        let (p, g, sum) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self))
        let (lr, eps, decay, sign) = (T(rate), T(eps), T(weightDecay), T(maximize ? -1 : 1))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                let s = sum[i] + d * d
                sum[i] = s
                p[i] -= lr * d / (s + eps).squareRoot()
            }
        }
    }
}

/// Adadelta as Zeiler's paper and PyTorch define it: `v = rho v + (1 - rho) g²`,
/// `delta = sqrt(u + eps) / sqrt(v + eps) * g`, `u = rho u + (1 - rho) delta²`, `p -= lr * delta`.
/// (PyDyNet's "Adadelta" keeps no `u` and is RMSprop.)
public struct Adadelta: UpdateRule {
    /// The class name.
    public let kind = "Adadelta"
    /// The state buffers of each parameter.
    public let bufferNames = ["square_avg", "acc_delta"]
    /// Decay rate of both running averages.
    public let rho: Double
    /// L2 weight decay.
    public let weightDecay: Double
    /// Added under the square roots for stability.
    public let eps: Double
    /// Ascend instead of descend.
    public let maximize: Bool
    /// The settings' names.
    public static let optionNames = ["rho", "weight_decay", "eps", "maximize"]
    /// The settings.
    public var options: [Double] { [rho, weightDecay, eps, maximize ? 1 : 0] }

    /// Checks rho in [0, 1], eps and weight decay finite and >= 0.
    public init(rho: Double, weightDecay: Double, eps: Double, maximize: Bool = false) throws {
        try Self.check(rho, 0...1, "rho", "Adadelta")
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", "Adadelta")
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", "Adadelta")
        (self.rho, self.weightDecay, self.eps, self.maximize) = (rho, weightDecay, eps, maximize)
    }

    /// Builds the rule from `optionNames`-ordered settings.
    public init(options o: [Double]) throws {
        try self.init(rho: o[0], weightDecay: o[1], eps: o[2], maximize: Self.flag(o[3], "maximize", "Adadelta"))
    }

    /// Applies one step of the rule to one parameter.
    public func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int) {
        switch value.dtype {
        case .float32: run(Float.self, value, grad, state, learningRate)
        default: run(Double.self, value, grad, state, learningRate)
        }
    }

    private func run<T: FloatElement>(_: T.Type, _ value: Tensor, _ grad: Tensor, _ state: [Tensor], _ rate: Double) {
        let (p, g, v, u) = (value.pointer(T.self), grad.pointer(T.self), state[0].pointer(T.self), state[1].pointer(T.self))
        let (lr, rho, eps, decay, sign) = (T(rate), T(rho), T(eps), T(weightDecay), T(maximize ? -1 : 1))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = sign * g[i] + decay * p[i]
                let vi = rho * v[i] + (1 - rho) * d * d
                let delta = (u[i] + eps).squareRoot() / (vi + eps).squareRoot() * d
                v[i] = vi
                u[i] = rho * u[i] + (1 - rho) * delta * delta
                p[i] -= lr * delta
            }
        }
    }
}
