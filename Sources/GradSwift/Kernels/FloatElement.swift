#if canImport(Glibc)
import Glibc
#endif

/// The floating-point element types, with the libm functions the kernels need, so float
/// kernels are written once and specialised for `Float` and `Double`.
protocol FloatElement: BinaryFloatingPoint {
    /// e^x.
    static func exp(_ x: Self) -> Self
    /// Natural logarithm.
    static func log(_ x: Self) -> Self
    /// x^y with C's rules (a negative base with an integral exponent is allowed).
    static func pow(_ x: Self, _ y: Self) -> Self
    /// Hyperbolic tangent.
    static func tanh(_ x: Self) -> Self
}

extension Float: FloatElement {
    @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inline(__always) static func tanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: FloatElement {
    @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    @inline(__always) static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
}

extension FloatElement {
    /// The logistic function, computed without overflow for large |x|.
    @inline(__always) static func sigmoid(_ x: Self) -> Self {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }

    /// -1, 0 or 1 (NaN stays NaN), as `np.sign`.
    @inline(__always) static func sign(_ x: Self) -> Self {
        x > 0 ? 1 : (x < 0 ? -1 : x)
    }
}
