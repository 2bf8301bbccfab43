#if canImport(Glibc)
import Glibc
#endif

// The update rules of SGD, Adam, Adagrad and Adadelta. `g` below is the gradient plus
// `weightDecay * p` (L2 decay, as PyDyNet and PyTorch). Each rule is one fused pass over the
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

    /// Checks momentum and weight decay are finite and >= 0.
    public init(momentum: Double, weightDecay: Double, nesterov: Bool) throws {
        try Self.check(momentum, 0...Double.greatestFiniteMagnitude, "momentum", kind)
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", kind)
        (self.momentum, self.weightDecay, self.nesterov) = (momentum, weightDecay, nesterov)
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
        let (lr, decay, mu) = (T(rate), T(weightDecay), T(momentum))
        guard let buffer = state.first?.pointer(T.self) else {
            Parallel.forRanges(value.count) { r in for i in r { p[i] -= lr * (g[i] + decay * p[i]) } }
            return
        }
        let nesterov = self.nesterov
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = g[i] + decay * p[i]
                let b = mu * buffer[i] + d
                buffer[i] = b
                p[i] -= lr * (nesterov ? d + mu * b : b)
            }
        }
    }
}

/// Adam as PyDyNet (and the Adam paper's efficient form) computes it:
/// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
/// `p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`.
public struct Adam: UpdateRule {
    /// The class name.
    public let kind = "Adam"
    /// The state buffers of each parameter.
    public let bufferNames = ["m", "v"]
    /// Decay rates of the first and second moment estimates.
    public let beta1, beta2: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// L2 weight decay.
    public let weightDecay: Double

    /// Checks betas in [0, 1), eps and weight decay finite and >= 0.
    public init(beta1: Double, beta2: Double, eps: Double, weightDecay: Double) throws {
        try Self.check(beta1, 0...1, "beta1", kind, upperOpen: true)
        try Self.check(beta2, 0...1, "beta2", kind, upperOpen: true)
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", kind)
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", kind)
        (self.beta1, self.beta2, self.eps, self.weightDecay) = (beta1, beta2, eps, weightDecay)
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
        // Eight lanes at a time (the square root and division do not auto-vectorise), then the tail.
        let (b1x, b2x, epsx, decayx, sizex) = (SIMD8(repeating: b1), SIMD8(repeating: b2), SIMD8(repeating: eps),
                                               SIMD8(repeating: decay), SIMD8(repeating: size))
        Parallel.forRanges(value.count) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let pi = SIMD8<T>.load(p + i), d = SIMD8<T>.load(g + i) + decayx * pi
                let mi = b1x * SIMD8<T>.load(m + i) + (1 - b1x) * d
                let vi = b2x * SIMD8<T>.load(v + i) + (1 - b2x) * d * d
                mi.store(to: m + i)
                vi.store(to: v + i)
                (pi - sizex * mi / (vi.squareRoot() + epsx)).store(to: p + i)
                i += 8
            }
            for i in i..<r.upperBound {
                let d = g[i] + decay * p[i]
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

    /// Checks eps and weight decay are finite and >= 0.
    public init(weightDecay: Double, eps: Double) throws {
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", kind)
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", kind)
        (self.weightDecay, self.eps) = (weightDecay, eps)
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
        let (lr, eps, decay) = (T(rate), T(eps), T(weightDecay))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = g[i] + decay * p[i]
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

    /// Checks rho in [0, 1], eps and weight decay finite and >= 0.
    public init(rho: Double, weightDecay: Double, eps: Double) throws {
        try Self.check(rho, 0...1, "rho", kind)
        try Self.check(weightDecay, 0...Double.greatestFiniteMagnitude, "weight_decay", kind)
        try Self.check(eps, 0...Double.greatestFiniteMagnitude, "eps", kind)
        (self.rho, self.weightDecay, self.eps) = (rho, weightDecay, eps)
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
        let (lr, rho, eps, decay) = (T(rate), T(rho), T(eps), T(weightDecay))
        Parallel.forRanges(value.count) { r in
            for i in r {
                let d = g[i] + decay * p[i]
                let vi = rho * v[i] + (1 - rho) * d * d
                let delta = (u[i] + eps).squareRoot() / (vi + eps).squareRoot() * d
                v[i] = vi
                u[i] = rho * u[i] + (1 - rho) * delta * delta
                p[i] -= lr * delta
            }
        }
    }
}
