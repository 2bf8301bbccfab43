#if canImport(Glibc)
import Glibc
#endif

/// Elementwise functions of one tensor, each declared once (see ElementwiseFunctions.swift):
/// name, kernel and backward rule together, then its entry point in `Ops`.
extension Ops {
    /// -a.
    public static func negate(_ a: Tensor) throws -> Tensor { try apply(Negative.self, a) }
    /// |a|.
    public static func abs(_ a: Tensor) throws -> Tensor { try apply(AbsoluteValue.self, a) }
    /// e^a (ints give NumPy's float type).
    public static func exp(_ a: Tensor) throws -> Tensor { try apply(Exponential.self, a) }
    /// Natural logarithm (ints give NumPy's float type).
    public static func log(_ a: Tensor) throws -> Tensor { try apply(NaturalLogarithm.self, a) }
    /// Square root (ints give NumPy's float type).
    public static func sqrt(_ a: Tensor) throws -> Tensor { try apply(SquareRoot.self, a) }
    /// a·a.
    public static func square(_ a: Tensor) throws -> Tensor { try apply(Square.self, a) }
    /// -1, 0 or 1 (zero gradient).
    public static func sign(_ a: Tensor) throws -> Tensor { try apply(Sign.self, a) }
    /// The logistic function 1 / (1 + e^-a), without overflow (ints give NumPy's float type).
    public static func sigmoid(_ a: Tensor) throws -> Tensor { try apply(Logistic.self, a) }
    /// Hyperbolic tangent (ints give NumPy's float type).
    public static func tanh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicTangent.self, a) }
    /// 1 / √a (ints give NumPy's float type).
    public static func rsqrt(_ a: Tensor) throws -> Tensor { try apply(ReciprocalSquareRoot.self, a) }
    /// 1 / a (ints give NumPy's float type, where NumPy's integer reciprocal truncates).
    public static func reciprocal(_ a: Tensor) throws -> Tensor { try apply(Reciprocal.self, a) }
    /// ln(1 + a), accurate for small a (ints give NumPy's float type).
    public static func log1p(_ a: Tensor) throws -> Tensor { try apply(LogarithmOfOnePlus.self, a) }
    /// e^a - 1, accurate for small a (ints give NumPy's float type).
    public static func expm1(_ a: Tensor) throws -> Tensor { try apply(ExponentialMinusOne.self, a) }
    /// Base-2 logarithm (ints give NumPy's float type).
    public static func log2(_ a: Tensor) throws -> Tensor { try apply(BinaryLogarithm.self, a) }
    /// Base-10 logarithm (ints give NumPy's float type).
    public static func log10(_ a: Tensor) throws -> Tensor { try apply(DecimalLogarithm.self, a) }
    /// 2^a (ints give NumPy's float type).
    public static func exp2(_ a: Tensor) throws -> Tensor { try apply(BinaryExponential.self, a) }
    /// The error function (2/√π)∫₀ᵃ e^(-t²) dt (ints give NumPy's float type).
    public static func erf(_ a: Tensor) throws -> Tensor { try apply(ErrorFunction.self, a) }
    /// g·y·(1 - y): the logistic function's backward from its output y.
    static func sigmoidBackward(_ g: Tensor, _ y: Tensor) throws -> Tensor { try apply(SigmoidBackward.self, g, y) }
    /// g·(1 - y²): tanh's backward from its output y.
    static func tanhBackward(_ g: Tensor, _ y: Tensor) throws -> Tensor { try apply(TanhBackward.self, g, y) }
}

extension OpTable {
    /// The unary functions and their fused backward ops.
    static let unary: [Entry] = [
        Entry(Negative.self), Entry(AbsoluteValue.self), Entry(Square.self), Entry(Sign.self), Entry(Exponential.self),
        Entry(NaturalLogarithm.self), Entry(SquareRoot.self), Entry(Logistic.self), Entry(HyperbolicTangent.self),
        Entry(SigmoidBackward.self), Entry(TanhBackward.self), Entry(ReciprocalSquareRoot.self), Entry(Reciprocal.self),
        Entry(LogarithmOfOnePlus.self), Entry(ExponentialMinusOne.self), Entry(BinaryLogarithm.self),
        Entry(DecimalLogarithm.self), Entry(BinaryExponential.self), Entry(ErrorFunction.self),
    ]
}

/// -x
enum Negative: NumericFunction {
    static let name = "neg"
    static let keepsBool = false
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.negate(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try -g }
}

/// |x|; its derivative is sign(x) (0 at 0, as PyTorch)
enum AbsoluteValue: NumericFunction {
    static let name = "abs"
    static let keepsBool = true
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.absolute(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.sign(x) }
}

/// x·x
enum Square: NumericFunction {
    static let name = "square"
    static let keepsBool = true
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.multiply(x, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * (x * 2) }
}

/// sign(x): -1, 0 or 1 (NaN stays NaN); flat, so its gradient is zero
enum Sign: NumericFunction {
    static let name = "sign"
    static let keepsBool = false
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.signum(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        try Tensor(shape: x.shape, dtype: g.dtype, zeroed: true, op: name)
    }
}

/// e^x; d(e^x) = e^x·g
enum Exponential: FloatFunction {
    static let name = "exp"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.exponential(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * y }
}

/// ln x; d(ln x) = g / x
enum NaturalLogarithm: FloatFunction {
    static let name = "log"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.log(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / x }
}

/// √x; d(√x) = g / (2√x)
enum SquareRoot: FloatFunction {
    static let name = "sqrt"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { x.squareRoot() }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (y * 2) }
}

/// σ(x) = 1 / (1 + e^-x), without overflow; dσ = g·σ·(1 - σ), fused
enum Logistic: FloatFunction {
    static let name = "sigmoid"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.sigmoid(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.sigmoidBackward(g, y) }
}

/// tanh x (VectorMath's, which vectorises; libm's is several times slower);
/// d(tanh x) = g·(1 - tanh²x), fused
enum HyperbolicTangent: FloatFunction {
    static let name = "tanh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.vectorTanh(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.tanhBackward(g, y) }
}

/// 1/√x; d(x^-½) = -½·g·y³
enum ReciprocalSquareRoot: FloatFunction {
    static let name = "rsqrt"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { 1 / x.squareRoot() }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * y * y * y * -0.5 }
}

/// 1/x; d(1/x) = -g·y²
enum Reciprocal: FloatFunction {
    static let name = "reciprocal"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { 1 / x }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try -(g * y * y) }
}

/// ln(1 + x); d = g / (1 + x)
enum LogarithmOfOnePlus: FloatFunction {
    static let name = "log1p"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(log1pf, Glibc.log1p, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (x + 1) }
}

/// e^x - 1; d = g·e^x = g·(y + 1)
enum ExponentialMinusOne: FloatFunction {
    static let name = "expm1"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(expm1f, Glibc.expm1, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * (y + 1) }
}

/// log₂ x; d = g / (x·ln 2)
enum BinaryLogarithm: FloatFunction {
    static let name = "log2"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(log2f, Glibc.log2, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (x * M_LN2) }
}

/// log₁₀ x; d = g / (x·ln 10)
enum DecimalLogarithm: FloatFunction {
    static let name = "log10"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(log10f, Glibc.log10, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (x * M_LN10) }
}

/// 2^x; d = g·y·ln 2
enum BinaryExponential: FloatFunction {
    static let name = "exp2"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(exp2f, Glibc.exp2, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * y * M_LN2 }
}

/// erf x; d = g·(2/√π)·e^(-x²)
enum ErrorFunction: FloatFunction {
    static let name = "erf"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(erff, Glibc.erf, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        try g * Ops.exp(-(x * x)) * (2 / Double.pi.squareRoot())
    }
}

/// g·y·(1 - y), the logistic function's backward from its output y, as an op of its own
enum SigmoidBackward: FloatBinaryFunction {
    static let name = "sigmoid_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ y: T) -> T { g * y * (1 - y) }
    static func backward(a g: Tensor, b y: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try Ops.sigmoidBackward(gg, y) : nil,
         needs.1 ? try gg * g * (1 - y * 2) : nil)
    }
}

/// g·(1 - y²), tanh's backward from its output y, as an op of its own
enum TanhBackward: FloatBinaryFunction {
    static let name = "tanh_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ y: T) -> T { g * (1 - y * y) }
    static func backward(a g: Tensor, b y: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try Ops.tanhBackward(gg, y) : nil,
         needs.1 ? try gg * g * y * -2 : nil)
    }
}
