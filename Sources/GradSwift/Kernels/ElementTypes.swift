#if canImport(Glibc)
import Glibc
#endif

/// The numeric element types (`Float`, `Double`, `Int64`) with the arithmetic kernels need,
/// integers wrapping on overflow as NumPy's do, so a kernel is written once for all three.
protocol ArithmeticElement: Comparable {
    /// a + b
    static func add(_ a: Self, _ b: Self) -> Self
    /// a - b
    static func subtract(_ a: Self, _ b: Self) -> Self
    /// a * b
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// -a
    static func negate(_ a: Self) -> Self
    /// |a|
    static func absolute(_ a: Self) -> Self
    /// -1, 0 or 1 (NaN stays NaN)
    static func signum(_ a: Self) -> Self
    /// The identity of `max` (-infinity, or the smallest integer).
    static var lowest: Self { get }
    /// The identity of `min` (+infinity, or the largest integer).
    static var highest: Self { get }
}

extension Int64: ArithmeticElement {
    @inline(__always) static func add(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func subtract(_ a: Int64, _ b: Int64) -> Int64 { a &- b }
    @inline(__always) static func multiply(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    @inline(__always) static func negate(_ a: Int64) -> Int64 { 0 &- a }
    @inline(__always) static func absolute(_ a: Int64) -> Int64 { a < 0 ? 0 &- a : a }
    @inline(__always) static func signum(_ a: Int64) -> Int64 { a > 0 ? 1 : (a < 0 ? -1 : 0) }
    static var lowest: Int64 { .min }
    static var highest: Int64 { .max }
}

extension ArithmeticElement where Self: FloatingPoint {
    @inline(__always) static func add(_ a: Self, _ b: Self) -> Self { a + b }
    @inline(__always) static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    @inline(__always) static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    @inline(__always) static func negate(_ a: Self) -> Self { -a }
    @inline(__always) static func absolute(_ a: Self) -> Self { Swift.abs(a) }
    @inline(__always) static func signum(_ a: Self) -> Self { a > 0 ? 1 : (a < 0 ? -1 : a) }
    static var lowest: Self { -.infinity }
    static var highest: Self { .infinity }
}

/// The floating-point element types, with the libm functions the kernels need, so float
/// kernels are written once and specialised for `Float` and `Double`.
protocol FloatElement: BinaryFloatingPoint, ArithmeticElement {
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// Natural logarithm.
    static func log(_ x: Self) -> Self
    /// x^y with C's rules (a negative base with an integral exponent is allowed).
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatElement {
    @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatElement {
    @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

extension FloatElement {
    /// Hyperbolic tangent through exp, several times faster than libm's tanh:
    /// (1 - e^-2|x|) / (1 + e^-2|x|) with the sign of x, and for |x| < 1/16, where that
    /// difference would cancel, the Taylor series to x^9 (relative error below 1e-11).
    @inline(__always) static func tanh(_ x: Self) -> Self {
        let a = Swift.abs(x)
        if a < 0.0625 {
            let s = x * x
            let c9: Self = 62 / 2835, c7: Self = -17 / 315, c5: Self = 2 / 15, c3: Self = -1 / 3
            let series: Self = c3 + s * (c5 + s * (c7 + s * c9))
            return x + x * s * series
        }
        let e = exp(-2 * a)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// The logistic function, computed without overflow for large |x|.
    @inline(__always) static func sigmoid(_ x: Self) -> Self {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}
