#if canImport(Glibc)
import Glibc
#endif

/// Rounding and clamping, each declared once (see ElementwiseFunctions.swift). Rounding keeps
/// the dtype (integers are already integral, as NumPy 2 and PyTorch) and has a zero gradient;
/// clamping passes the gradient to the input where it lies within the bounds.
extension Ops {
    /// The largest integral value ≤ a.
    public static func floor(_ a: Tensor) throws -> Tensor { try apply(Floor.self, a) }
    /// The smallest integral value ≥ a.
    public static func ceil(_ a: Tensor) throws -> Tensor { try apply(Ceiling.self, a) }
    /// a rounded toward zero.
    public static func trunc(_ a: Tensor) throws -> Tensor { try apply(Truncation.self, a) }

    /// a rounded to `decimals` decimal places, halves to even (NumPy's and PyTorch's rule):
    /// round(a·10^d) / 10^d. Integer tensors need `decimals` 0 (they are returned as they are).
    public static func round(_ a: Tensor, decimals: Int = 0) throws -> Tensor {
        if decimals == 0 { return try apply(HalfToEven.self, a) }
        guard a.dtype.isFloatingPoint else {
            throw EngineError.dtype("round: decimals=\(decimals) needs a float tensor, got \(a.dtype.name)")
        }
        guard (-300...300).contains(decimals) else {
            throw EngineError.invalidArgument("round: decimals must be within [-300, 300], got \(decimals)")
        }
        let scale = Glibc.pow(10.0, Double(decimals))
        return try apply(HalfToEven.self, a * scale) / scale
    }

    /// `a` limited to [`min`, `max`] (either may be nil: no bound), all three broadcast together
    /// and promoted to a common dtype: max(a, min) then min(·, max), so where min > max the
    /// result is max (as PyTorch). The gradient goes to `a` where min ≤ a ≤ max (ties to `a`),
    /// to `min` where a < min, and to `max` where the first step exceeds max.
    public static func clamp(_ a: Tensor, min: Tensor?, max: Tensor?) throws -> Tensor {
        let op = "clamp"
        guard min != nil || max != nil else {
            throw EngineError.invalidArgument("clamp: at least one of min and max must be given")
        }
        for (tensor, role) in [(a, "input"), (min, "min"), (max, "max")] where tensor?.dtype == .bool {
            throw EngineError.dtype("\(op): \(role) must be numeric, got bool")
        }
        var type = a.dtype
        for bound in [min, max] { if let bound { type = DType.promote(type, bound.dtype) } }
        let x = try cast(a, to: type)
        let low = try min.map { try cast($0, to: type) }, high = try max.map { try cast($0, to: type) }
        var raised = x
        if let low {
            raised = try Ops.where(Ops.lt(x, low), low, x)
        }
        guard let high else { return raised }
        return try Ops.where(Ops.gt(raised, high), high, raised)
    }

    /// `a` limited to [`min`, `max`] given as Python-style scalars of `kind` (either nil: no
    /// bound), which promote weakly, as in `Ops.binary(_:_:scalar:kind:)`.
    public static func clamp(_ a: Tensor, min: Double?, max: Double?, kind: ScalarKind) throws -> Tensor {
        try clamp(a, min: min.map { try Tensor.scalar($0, kind: kind, meeting: a) },
                  max: max.map { try Tensor.scalar($0, kind: kind, meeting: a) })
    }
}

extension OpTable {
    /// The rounding functions.
    static let rounding: [Entry] = [Entry(Floor.self), Entry(Ceiling.self), Entry(Truncation.self), Entry(HalfToEven.self)]
}

/// A rounding function: flat almost everywhere, so its gradient is zero (as PyTorch's).
protocol RoundingFunction: NumericFunction {}

extension RoundingFunction {
    static var keepsBool: Bool { false }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor {
        try Tensor(shape: x.shape, dtype: g.dtype, zeroed: true, op: name)
    }
}

/// ⌊x⌋
enum Floor: RoundingFunction {
    static let name = "floor"
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.rounded(x, .down) }
}

/// ⌈x⌉
enum Ceiling: RoundingFunction {
    static let name = "ceil"
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.rounded(x, .up) }
}

/// x rounded toward zero
enum Truncation: RoundingFunction {
    static let name = "trunc"
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.rounded(x, .towardZero) }
}

/// x rounded to the nearest integer, halves to even
enum HalfToEven: RoundingFunction {
    static let name = "round"
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { T.rounded(x, .toNearestOrEven) }
}
