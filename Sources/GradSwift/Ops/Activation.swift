#if canImport(Glibc)
import Glibc
#endif

/// Activation functions (sigmoid and tanh are in Unary.swift), declared once each (see
/// ElementwiseFunctions.swift). Gradients at the kinks follow PyTorch: relu'(0) = 0,
/// leaky_relu'(0) = slope.
extension Ops {
    /// max(x, 0). Int64 and bool inputs keep their type (no gradient flows through them).
    public static func relu(_ x: Tensor) throws -> Tensor { try apply(Rectifier.self, x) }

    /// x·σ(x) (SiLU, or swish). Integer and bool inputs give NumPy's float type.
    public static func silu(_ x: Tensor) throws -> Tensor { try apply(SigmoidWeightedLinear.self, x) }

    /// g where x > 0, else 0: relu's backward (PyTorch's `threshold_backward`).
    static func thresholdBackward(_ g: Tensor, _ x: Tensor) throws -> Tensor { try apply(ThresholdBackward.self, g, x) }

    /// g·σ(x)·(1 + x·(1 - σ(x))): silu's backward.
    static func siluBackward(_ g: Tensor, _ x: Tensor) throws -> Tensor { try apply(SiluBackward.self, g, x) }

    /// x for x > 0, slope·x otherwise (PyTorch's definition, also for slopes above 1).
    /// Integer and bool inputs give NumPy's float type.
    public static func leakyRelu(_ x: Tensor, slope: Double) throws -> Tensor { try apply(LeakyRectifier.self, x, slope) }

    /// x·Φ(x), Φ the standard normal distribution function (`approximateTanh`: PyTorch's
    /// `approximate='tanh'`, ½x(1 + tanh(√(2/π)(x + 0.044715x³)))).
    public static func gelu(_ x: Tensor, approximateTanh: Bool = false) throws -> Tensor {
        approximateTanh ? try apply(GaussianErrorLinearTanh.self, x) : try apply(GaussianErrorLinear.self, x)
    }

    /// x for x > 0, alpha·(e^x - 1) otherwise.
    public static func elu(_ x: Tensor, alpha: Double = 1) throws -> Tensor { try apply(ExponentialLinear.self, x, alpha) }

    /// scale·elu(x, alpha) with the self-normalising constants of Klambauer et al.
    public static func selu(_ x: Tensor) throws -> Tensor { try apply(ScaledExponentialLinear.self, x) }

    /// x for x > 0, alpha·(e^(x/alpha) - 1) otherwise (alpha ≠ 0).
    public static func celu(_ x: Tensor, alpha: Double = 1) throws -> Tensor {
        try checkCelu(alpha: alpha)
        return try apply(ContinuousExponentialLinear.self, x, alpha)
    }

    /// ln(1 + e^(beta·x)) / beta, and x itself where beta·x > threshold (beta ≠ 0).
    public static func softplus(_ x: Tensor, beta: Double = 1, threshold: Double = 20) throws -> Tensor {
        try checkSoftplus(beta: beta)
        return try apply(SmoothRectifier.self, x, beta, threshold)
    }

    /// x·tanh(softplus(x)).
    public static func mish(_ x: Tensor) throws -> Tensor { try apply(SelfRegularizedTanh.self, x) }

    /// x limited to [min, max]; the gradient is zero at and beyond the bounds (PyTorch's).
    public static func hardtanh(_ x: Tensor, min: Double = -1, max: Double = 1) throws -> Tensor {
        try checkHardtanh(min: min, max: max)
        return try apply(HardTangent.self, x, min, max)
    }

    /// min(max(x, 0), 6): hardtanh(x, 0, 6).
    public static func relu6(_ x: Tensor) throws -> Tensor { try hardtanh(x, min: 0, max: 6) }

    /// relu6(x + 3) / 6: 0 up to -3, 1 from 3, linear between.
    public static func hardsigmoid(_ x: Tensor) throws -> Tensor { try apply(HardSigmoid.self, x) }

    /// x·relu6(x + 3) / 6.
    public static func hardswish(_ x: Tensor) throws -> Tensor { try apply(HardSwish.self, x) }

    /// ln σ(x) = -softplus(-x), without overflow.
    public static func logsigmoid(_ x: Tensor) throws -> Tensor { try apply(LogarithmicSigmoid.self, x) }

    // The settings the activations refuse, checked by the ops and by their layers' initialisers.

    /// Fails for celu's alpha 0 (a division by zero).
    static func checkCelu(alpha: Double) throws {
        guard alpha != 0 else { throw EngineError.invalidArgument("celu: alpha must not be 0") }
    }

    /// Fails for softplus's beta 0 (a division by zero).
    static func checkSoftplus(beta: Double) throws {
        guard beta != 0 else { throw EngineError.invalidArgument("softplus: beta must not be 0") }
    }

    /// Fails for hardtanh bounds that are NaN or in the wrong order.
    static func checkHardtanh(min: Double, max: Double) throws {
        guard min <= max else {
            throw EngineError.invalidArgument("hardtanh: min_val (\(min)) must not exceed max_val (\(max))")
        }
    }
}

/// The bool tensor `x ⋈ s` for a scalar threshold `s` (`compare(x, Ops.gt, 0)`), in backward rules.
private func compare(_ x: Tensor, _ relation: (Tensor, Tensor) throws -> Tensor, _ s: Double) throws -> Tensor {
    try relation(x, Tensor.scalar(s, dtype: x.dtype))
}

/// A zero of `g`'s dtype, for the branches of a backward rule where no gradient flows.
private func zero(like g: Tensor) throws -> Tensor { try Tensor.scalar(0, dtype: g.dtype) }

extension OpTable {
    /// The elementwise activations and their fused backward ops.
    static let activations: [Entry] = [
        Entry(Rectifier.self), Entry(SigmoidWeightedLinear.self), Entry(ThresholdBackward.self), Entry(SiluBackward.self),
        Entry(GaussianErrorLinear.self), Entry(GaussianErrorLinearTanh.self), Entry(ScaledExponentialLinear.self),
        Entry(SelfRegularizedTanh.self), Entry(HardSigmoid.self), Entry(HardSwish.self), Entry(LogarithmicSigmoid.self),
    ]
}

/// max(x, 0); NaN stays NaN
enum Rectifier: NumericFunction {
    static let name = "relu"
    static let keepsBool = true
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { x < 0 ? 0 : x }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.thresholdBackward(g, x) }
}

/// x·σ(x)
enum SigmoidWeightedLinear: FloatFunction {
    static let name = "silu"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { x * T.sigmoid(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.siluBackward(g, x) }
}

/// g·[x > 0]; linear in g, flat in x
enum ThresholdBackward: FloatBinaryFunction {
    static let name = "threshold_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ x: T) -> T { x > 0 ? g : 0 }
    static func backward(a g: Tensor, b x: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try Ops.thresholdBackward(gg, x) : nil, nil)
    }
}

/// g·σ(x)·(1 + x·(1 - σ(x))); d/dx = g·σ(1 - σ)·(2 + x·(1 - 2σ))
enum SiluBackward: FloatBinaryFunction {
    static let name = "silu_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ x: T) -> T {
        let s = T.sigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
    static func backward(a g: Tensor, b x: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        var dx: Tensor?
        if needs.1 {
            let s = try Ops.sigmoid(x)
            dx = try gg * g * s * (1 - s) * (2 + x * (1 - s * 2))
        }
        return (needs.0 ? try Ops.siluBackward(gg, x) : nil, dx)
    }
}

/// x if x > 0, else p·x (p the slope); d = g or g·p
enum LeakyRectifier: ParametricFunction {
    static let name = "leaky_relu"
    @inline(__always) static func value<T: FloatElement>(_ x: T, _ p: T, _: T) -> T { x > 0 ? x : p * x }
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor {
        try Ops.where(compare(x, Ops.gt, 0), g, g * p)
    }
}

/// 1/√(2π), the standard normal density at 0
private let inverseSqrtTwoPi = 0.3989422804014327
/// 1/√2
private let inverseSqrtTwo = 0.7071067811865476
/// √(2/π), the tanh approximation's scale
private let sqrtTwoOverPi = 0.7978845608028654
/// The cubic coefficient of the tanh approximation
private let geluCubic = 0.044715

/// x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)); d = g·(Φ(x) + x·φ(x)), φ the normal density
enum GaussianErrorLinear: FloatFunction {
    static let name = "gelu"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T {
        x * (1 + T.libm(erff, Glibc.erf, x * T(inverseSqrtTwo))) / 2
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        let cdf = try (Ops.erf(x * inverseSqrtTwo) + 1) * 0.5
        let density = try Ops.exp(x * x * -0.5) * inverseSqrtTwoPi
        return try g * (cdf + x * density)
    }
}

/// ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³); d = g·(½(1 + t) + ½x(1 - t²)·u'), t = tanh u
enum GaussianErrorLinearTanh: FloatFunction {
    static let name = "gelu_tanh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T {
        x * (1 + T.vectorTanh(T(sqrtTwoOverPi) * (x + T(geluCubic) * x * x * x))) / 2
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        let t = try Ops.tanh((x + x * x * x * geluCubic) * sqrtTwoOverPi)
        let slope = try (x * x * (3 * geluCubic) + 1) * sqrtTwoOverPi
        return try g * ((t + 1) * 0.5 + x * (1 - t * t) * slope * 0.5)
    }
}

/// x if x > 0, else p·(e^x - 1) (p = alpha); d = g or g·p·e^x
enum ExponentialLinear: ParametricFunction {
    static let name = "elu"
    @inline(__always) static func value<T: FloatElement>(_ x: T, _ p: T, _: T) -> T {
        x > 0 ? x : p * T.libm(expm1f, Glibc.expm1, x)
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor {
        try Ops.where(compare(x, Ops.gt, 0), g, g * Ops.exp(x) * p)
    }
}

/// SELU's α and λ (Klambauer et al. 2017, as PyTorch)
private let seluAlpha = 1.6732632423543772848170429916717
private let seluScale = 1.0507009873554804934193349852946

/// λ·elu(x, α); d = g·λ or g·λα·e^x
enum ScaledExponentialLinear: FloatFunction {
    static let name = "selu"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T {
        T(seluScale) * (x > 0 ? x : T(seluAlpha) * T.libm(expm1f, Glibc.expm1, x))
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        try Ops.where(compare(x, Ops.gt, 0), g * seluScale, g * Ops.exp(x) * (seluScale * seluAlpha))
    }
}

/// x if x > 0, else p·(e^(x/p) - 1) (p = alpha); d = g or g·e^(x/p)
enum ContinuousExponentialLinear: ParametricFunction {
    static let name = "celu"
    @inline(__always) static func value<T: FloatElement>(_ x: T, _ p: T, _: T) -> T {
        x > 0 ? x : p * T.libm(expm1f, Glibc.expm1, x / p)
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor {
        try Ops.where(compare(x, Ops.gt, 0), g, g * Ops.exp(x / p))
    }
}

/// ln(1 + e^(px)) / p, or x where px > q (p = beta, q = threshold); d = g·σ(px), or g
enum SmoothRectifier: ParametricFunction {
    static let name = "softplus"
    @inline(__always) static func value<T: FloatElement>(_ x: T, _ p: T, _ q: T) -> T {
        p * x > q ? x : T.libm(log1pf, Glibc.log1p, T.exp(p * x)) / p
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor {
        let scaled = try x * p
        return try Ops.where(compare(scaled, Ops.gt, q), g, g * Ops.sigmoid(scaled))
    }
}

/// x·tanh(softplus(x)); d = g·(t + x·(1 - t²)·σ(x)), t = tanh(softplus(x))
enum SelfRegularizedTanh: FloatFunction {
    static let name = "mish"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T {
        x * T.vectorTanh(x > 20 ? x : T.libm(log1pf, Glibc.log1p, T.exp(x)))
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        let t = try Ops.tanh(Ops.softplus(x))
        return try g * (t + x * (1 - t * t) * Ops.sigmoid(x))
    }
}

/// min(max(x, p), q) (p, q the bounds); d = g strictly inside (p, q), else 0
enum HardTangent: ParametricFunction {
    static let name = "hardtanh"
    @inline(__always) static func value<T: FloatElement>(_ x: T, _ p: T, _ q: T) -> T {
        let raised = x < p ? p : x
        return raised > q ? q : raised
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor {
        let none = try zero(like: g)
        return try Ops.where(compare(x, Ops.le, p), none, Ops.where(compare(x, Ops.ge, q), none, g))
    }
}

/// 0 for x ≤ -3, 1 for x ≥ 3, x/6 + ½ between; d = g/6 strictly inside (-3, 3), else 0
enum HardSigmoid: FloatFunction {
    static let name = "hardsigmoid"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { x <= -3 ? 0 : (x >= 3 ? 1 : x / 6 + 0.5) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        let none = try zero(like: g)
        return try Ops.where(compare(x, Ops.le, -3), none, Ops.where(compare(x, Ops.ge, 3), none, g / 6))
    }
}

/// 0 for x ≤ -3, x for x ≥ 3, x(x + 3)/6 between; d = 0 below -3, g·(x/3 + ½) up to 3, g above
/// (PyTorch's choice at the two kinks)
enum HardSwish: FloatFunction {
    static let name = "hardswish"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        try Ops.where(compare(x, Ops.lt, -3), zero(like: g), Ops.where(compare(x, Ops.le, 3), g * (x / 3 + 0.5), g))
    }
}

/// ln σ(x) = min(x, 0) - ln(1 + e^-|x|); d = g·σ(-x)
enum LogarithmicSigmoid: FloatFunction {
    static let name = "logsigmoid"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T {
        (x < 0 ? x : 0) - T.libm(log1pf, Glibc.log1p, T.exp(-Swift.abs(x)))
    }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.sigmoid(-x) }
}
