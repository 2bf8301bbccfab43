#if canImport(Glibc)
import Glibc
#endif

/// Circular and hyperbolic functions and their inverses, each declared once (see
/// ElementwiseFunctions.swift); ints and bools give NumPy's float type (`DType.floatResult`).
/// Outside an inverse's domain the result is NaN, as in NumPy and PyTorch.
extension Ops {
    /// Sine.
    public static func sin(_ a: Tensor) throws -> Tensor { try apply(Sine.self, a) }
    /// Cosine.
    public static func cos(_ a: Tensor) throws -> Tensor { try apply(Cosine.self, a) }
    /// Tangent.
    public static func tan(_ a: Tensor) throws -> Tensor { try apply(Tangent.self, a) }
    /// Inverse sine, in [-π/2, π/2].
    public static func asin(_ a: Tensor) throws -> Tensor { try apply(ArcSine.self, a) }
    /// Inverse cosine, in [0, π].
    public static func acos(_ a: Tensor) throws -> Tensor { try apply(ArcCosine.self, a) }
    /// Inverse tangent, in (-π/2, π/2).
    public static func atan(_ a: Tensor) throws -> Tensor { try apply(ArcTangent.self, a) }
    /// Hyperbolic sine.
    public static func sinh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicSine.self, a) }
    /// Hyperbolic cosine.
    public static func cosh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicCosine.self, a) }
    /// Inverse hyperbolic sine.
    public static func asinh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicArcSine.self, a) }
    /// Inverse hyperbolic cosine (a ≥ 1).
    public static func acosh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicArcCosine.self, a) }
    /// Inverse hyperbolic tangent (|a| < 1).
    public static func atanh(_ a: Tensor) throws -> Tensor { try apply(HyperbolicArcTangent.self, a) }
    /// The angle of the point (b, a): atan(a / b) in the right quadrant, in [-π, π].
    public static func atan2(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(ArcTangentOfQuotient.self, a, b) }
    /// √(a² + b²), without overflow or underflow.
    public static func hypot(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Hypotenuse.self, a, b) }
}

extension OpTable {
    /// The circular and hyperbolic functions.
    static let trigonometric: [Entry] = [
        Entry(Sine.self), Entry(Cosine.self), Entry(Tangent.self), Entry(ArcSine.self), Entry(ArcCosine.self),
        Entry(ArcTangent.self), Entry(HyperbolicSine.self), Entry(HyperbolicCosine.self), Entry(HyperbolicArcSine.self),
        Entry(HyperbolicArcCosine.self), Entry(HyperbolicArcTangent.self), Entry(ArcTangentOfQuotient.self),
        Entry(Hypotenuse.self),
    ]
}

/// sin x; d = g·cos x
enum Sine: FloatFunction {
    static let name = "sin"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(sinf, Glibc.sin, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.cos(x) }
}

/// cos x; d = -g·sin x
enum Cosine: FloatFunction {
    static let name = "cos"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(cosf, Glibc.cos, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try -(g * Ops.sin(x)) }
}

/// tan x; d = g·(1 + tan²x)
enum Tangent: FloatFunction {
    static let name = "tan"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(tanf, Glibc.tan, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * (y * y + 1) }
}

/// asin x; d = g / √(1 - x²)
enum ArcSine: FloatFunction {
    static let name = "asin"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(asinf, Glibc.asin, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.rsqrt(1 - x * x) }
}

/// acos x; d = -g / √(1 - x²)
enum ArcCosine: FloatFunction {
    static let name = "acos"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(acosf, Glibc.acos, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try -(g * Ops.rsqrt(1 - x * x)) }
}

/// atan x; d = g / (1 + x²)
enum ArcTangent: FloatFunction {
    static let name = "atan"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(atanf, Glibc.atan, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (x * x + 1) }
}

/// sinh x; d = g·cosh x
enum HyperbolicSine: FloatFunction {
    static let name = "sinh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(sinhf, Glibc.sinh, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.cosh(x) }
}

/// cosh x; d = g·sinh x
enum HyperbolicCosine: FloatFunction {
    static let name = "cosh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(coshf, Glibc.cosh, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.sinh(x) }
}

/// asinh x; d = g / √(x² + 1)
enum HyperbolicArcSine: FloatFunction {
    static let name = "asinh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(asinhf, Glibc.asinh, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.rsqrt(x * x + 1) }
}

/// acosh x; d = g / √((x - 1)(x + 1))
enum HyperbolicArcCosine: FloatFunction {
    static let name = "acosh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(acoshf, Glibc.acosh, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g * Ops.rsqrt((x - 1) * (x + 1)) }
}

/// atanh x; d = g / (1 - x²)
enum HyperbolicArcTangent: FloatFunction {
    static let name = "atanh"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { T.libm(atanhf, Glibc.atanh, x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try g / (1 - x * x) }
}

/// atan2(a, b); ∂/∂a = b / (a² + b²), ∂/∂b = -a / (a² + b²)
enum ArcTangentOfQuotient: FloatBinaryFunction {
    static let name = "atan2"
    @inline(__always) static func value<T: FloatElement>(_ a: T, _ b: T) -> T { T.libm(atan2f, Glibc.atan2, a, b) }
    static func backward(a: Tensor, b: Tensor, output _: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        let scaled = try g / (a * a + b * b)
        return (needs.0 ? try scaled * b : nil, needs.1 ? try -(scaled * a) : nil)
    }
}

/// hypot(a, b) = √(a² + b²); ∂/∂a = a / y, ∂/∂b = b / y
enum Hypotenuse: FloatBinaryFunction {
    static let name = "hypot"
    @inline(__always) static func value<T: FloatElement>(_ a: T, _ b: T) -> T { T.libm(hypotf, Glibc.hypot, a, b) }
    static func backward(a: Tensor, b: Tensor, output y: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        let scaled = try g / y
        return (needs.0 ? try scaled * a : nil, needs.1 ? try scaled * b : nil)
    }
}
