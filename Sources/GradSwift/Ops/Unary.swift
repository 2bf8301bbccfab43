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
    /// e^a (ints give float64).
    public static func exp(_ a: Tensor) throws -> Tensor { try apply(Exponential.self, a) }
    /// Natural logarithm (ints give float64).
    public static func log(_ a: Tensor) throws -> Tensor { try apply(NaturalLogarithm.self, a) }
    /// Square root (ints give float64).
    public static func sqrt(_ a: Tensor) throws -> Tensor { try apply(SquareRoot.self, a) }
    /// a·a.
    public static func square(_ a: Tensor) throws -> Tensor { try apply(Square.self, a) }
    /// -1, 0 or 1 (zero gradient).
    public static func sign(_ a: Tensor) throws -> Tensor { try apply(Sign.self, a) }
    /// The logistic function 1 / (1 + e^-a), without overflow (ints give float64).
    public static func sigmoid(_ a: Tensor) throws -> Tensor { try apply(Logistic.self, a) }
    /// Hyperbolic tangent (ints give float64).
    public static func tanh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicTangent.self, a) }
    /// Sine (ints give float64).
    public static func sin(_ a: Tensor) throws -> Tensor { try apply(Sine.self, a) }
    /// Cosine (ints give float64).
    public static func cos(_ a: Tensor) throws -> Tensor { try apply(Cosine.self, a) }
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
        Entry(SigmoidBackward.self), Entry(TanhBackward.self), Entry(Sine.self), Entry(Cosine.self),
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

/// sin x; d(sin x) = g·cos x
enum Sine: FloatFunction {
    static let name = "sin"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(sinf, Glibc.sin, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.cos(x) }
}

/// cos x; d(cos x) = -g·sin x
enum Cosine: FloatFunction {
    static let name = "cos"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(cosf, Glibc.cos, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try -(g * Ops.sin(x)) }
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
