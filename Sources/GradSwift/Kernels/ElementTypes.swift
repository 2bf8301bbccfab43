#if canImport(Glibc)
import Glibc
#endif

/// The numeric element types (`Float`, `Double`, `Int64`) with the arithmetic kernels need,
/// integers wrapping on overflow as NumPy's do, so a kernel is written once for all three.
protocol ArithmeticElement: Comparable, ExpressibleByIntegerLiteral {
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
    /// a ** b: C's pow for floats (a negative base with an integral exponent is allowed); for
    /// integers, b >= 0, by repeated squaring (wrapping)
    static func power(_ a: Self, _ b: Self) -> Self
    /// x rounded to an integral value by `rule` (integers are already integral)
    static func rounded(_ x: Self, _ rule: FloatingPointRoundingRule) -> Self
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
    @inline(__always) static func power(_ base: Int64, _ exponent: Int64) -> Int64 {
        var result: Int64 = 1, b = base, n = exponent
        while n > 0 {
            if n & 1 == 1 { result = result &* b }
            b = b &* b
            n >>= 1
        }
        return result
    }
    @inline(__always) static func rounded(_ x: Int64, _: FloatingPointRoundingRule) -> Int64 { x }
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
    @inline(__always) static func rounded(_ x: Self, _ rule: FloatingPointRoundingRule) -> Self { x.rounded(rule) }
    static var lowest: Self { -.infinity }
    static var highest: Self { .infinity }
}

/// The floating-point element types, with the libm functions the kernels need, so float
/// kernels are written once and specialised for `Float` and `Double`; `VectorMath` adds the
/// vectorising exp, tanh and logistic function. A kernel reaches any other libm function
/// through `libm` (`T.libm(sinf, sin, x)`), with no requirement added here.
protocol FloatElement: VectorMath, ArithmeticElement {
    /// e^x (libm's).
    static func exp(_ x: Self) -> Self
    /// e^x as the exp op computes it, the faster of two accurate ways for the type: VectorMath's
    /// for Float (it vectorises; 16M elements in 22 ms against libm's 32 here), libm's for Double
    /// (VectorMath's degree-12 polynomial is slower than libm there).
    static func exponential(_ x: Self) -> Self
    /// Natural logarithm.
    static func log(_ x: Self) -> Self
    /// One libm function of x, given as its single- and double-precision versions: the one for
    /// the type runs (a direct call once inlined into a kernel).
    static func libm(_ single: (Float) -> Float, _ double: (Double) -> Double, _ x: Self) -> Self
    /// One libm function of two arguments (atan2, hypot), as `libm` for one.
    static func libm(_ single: (Float, Float) -> Float, _ double: (Double, Double) -> Double, _ a: Self, _ b: Self) -> Self
}

extension Float: FloatElement {
    @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func exponential(_ x: Float) -> Float { vectorExp(x) }
    @inline(__always) static func log(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func libm(_ single: (Float) -> Float, _: (Double) -> Double, _ x: Float) -> Float { single(x) }
    @inline(__always) static func libm(_ single: (Float, Float) -> Float, _: (Double, Double) -> Double,
                                       _ a: Float, _ b: Float) -> Float { single(a, b) }
    @inline(__always) static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatElement {
    @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func exponential(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func libm(_: (Float) -> Float, _ double: (Double) -> Double, _ x: Double) -> Double { double(x) }
    @inline(__always) static func libm(_: (Float, Float) -> Float, _ double: (Double, Double) -> Double,
                                       _ a: Double, _ b: Double) -> Double { double(a, b) }
    @inline(__always) static func power(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

extension FloatElement {
    /// The logistic function, without overflow for large |x| (VectorMath's).
    @inline(__always) static func sigmoid(_ x: Self) -> Self { vectorSigmoid(x) }
}

extension DType {
    /// Runs the `Float` or the `Double` instance of one generic computation, for this dtype
    /// (float32 or float64; other dtypes are a dtype error naming `op`). Swift has no generic
    /// closures, so the computation is a local generic function passed as both instances:
    /// `try x.dtype.dispatchFloat(op, run, run)` with `func run<T: FloatElement>(_: T.Type)`,
    /// each compiled for its type. (Opening an `any FloatElement.Type` instead would run the
    /// loops unspecialised: leaky_relu on 16M float32 elements took 340 ms that way, 4.8 so.)
    @inline(__always)
    func dispatchFloat<R>(_ op: String, _ float32: (Float.Type) throws -> R, _ float64: (Double.Type) throws -> R) throws -> R {
        switch self {
        case .float32: return try float32(Float.self)
        case .float64: return try float64(Double.self)
        default: throw EngineError.dtype("\(op): expected float32 or float64, got \(name)")
        }
    }
}

/// Every type a tensor stores, one per `DType`, with NumPy's conversions between them, so a
/// kernel that only moves, picks or converts elements is written once for all nine.
protocol StorageElement {
    /// Whether values convert through `Int64` (the integers and Bool) rather than `Double`.
    static var isIntegral: Bool { get }
    /// NumPy's cast of a float value: rounded to nearest for a float type; for an integer type
    /// truncated toward zero, then wrapped (NaN gives 0); for Bool, x != 0.
    init(castFrom x: Double)
    /// NumPy's cast of an integer value: wrapped for an integer type, rounded to nearest for a
    /// float type, x != 0 for Bool.
    init(castFrom x: Int64)
    /// The value of a float type as a Double (exact).
    var doubleValue: Double { get }
    /// The value of an integral type as an Int64 (exact).
    var int64Value: Int64 { get }
}

extension StorageElement {
    /// `x` converted by NumPy's cast, through Int64 or Double whichever holds it exactly.
    @inline(__always) init<Source: StorageElement>(converting x: Source) {
        self = Source.isIntegral ? Self(castFrom: x.int64Value) : Self(castFrom: x.doubleValue)
    }
}

extension StorageElement where Self: FixedWidthInteger {
    static var isIntegral: Bool { true }
    @inline(__always) init(castFrom x: Double) { self.init(truncatingIfNeeded: Int64(saturating: x)) }
    @inline(__always) init(castFrom x: Int64) { self.init(truncatingIfNeeded: x) }
    @inline(__always) var doubleValue: Double { Double(self) }
    @inline(__always) var int64Value: Int64 { Int64(truncatingIfNeeded: self) }
}

extension StorageElement where Self: BinaryFloatingPoint {
    static var isIntegral: Bool { false }
    @inline(__always) init(castFrom x: Double) { self.init(x) }
    @inline(__always) init(castFrom x: Int64) { self.init(x) }
    @inline(__always) var doubleValue: Double { Double(self) }
    @inline(__always) var int64Value: Int64 { Int64(saturating: Double(self)) }
}

extension Float16: StorageElement {}
extension Float: StorageElement {}
extension Double: StorageElement {}
extension Int8: StorageElement {}
extension UInt8: StorageElement {}
extension Int16: StorageElement {}
extension Int32: StorageElement {}
extension Int64: StorageElement {}

extension Bool: StorageElement {
    static var isIntegral: Bool { true }
    @inline(__always) init(castFrom x: Double) { self = x != 0 }
    @inline(__always) init(castFrom x: Int64) { self = x != 0 }
    @inline(__always) var doubleValue: Double { self ? 1 : 0 }
    @inline(__always) var int64Value: Int64 { self ? 1 : 0 }
}

/// A computation generic over the storage type, run for a dtype by `DType.visit` (Swift has
/// no generic closures; a visitor's generic method is compiled once per type).
protocol StorageVisitor {
    /// What the computation returns.
    associatedtype Result
    /// The computation, for the element type `T`.
    func callAsFunction<T: StorageElement>(_: T.Type) -> Result
}

extension DType {
    /// Runs `visitor` for this dtype's element type.
    @inline(__always)
    func visit<V: StorageVisitor>(_ visitor: V) -> V.Result {
        switch self {
        case .float16: return visitor(Float16.self)
        case .float32: return visitor(Float.self)
        case .float64: return visitor(Double.self)
        case .int8: return visitor(Int8.self)
        case .uint8: return visitor(UInt8.self)
        case .int16: return visitor(Int16.self)
        case .int32: return visitor(Int32.self)
        case .int64: return visitor(Int64.self)
        case .bool: return visitor(Bool.self)
        }
    }
}
