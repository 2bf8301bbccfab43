/// The element types a tensor can hold. float16 and the integers narrower than int64 are
/// storage types: ops compute them in their `computeType` (float32, int64) and round or wrap
/// the result back, as NumPy's loops for them do.
public enum DType: Int32, CaseIterable, Sendable {
    case float32 = 0
    case float64 = 1
    case int64 = 2
    case bool = 3
    case float16 = 4
    case int32 = 5
    case int16 = 6
    case int8 = 7
    case uint8 = 8

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .float16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// Whether gradients can flow through tensors of this type.
    public var isFloatingPoint: Bool { self == .float16 || self == .float32 || self == .float64 }

    /// Whether this is one of the integer types (not bool).
    public var isInteger: Bool { !isFloatingPoint && self != .bool }

    /// The type the ops compute this one in: float32 for float16, int64 for the narrower
    /// integers, the type itself otherwise.
    public var computeType: DType {
        switch self {
        case .float16: return .float32
        case .int32, .int16, .int8, .uint8: return .int64
        default: return self
        }
    }

    /// NumPy-style name, used in error messages.
    public var name: String {
        switch self {
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .bool: return "bool"
        }
    }

    /// Bits of an integer type (uint8 counts 8), 0 for bool and the floats.
    private var integerBits: Int { isInteger ? itemSize * 8 : 0 }

    /// The smallest float type that holds every value of this type exactly, as NumPy's float
    /// functions choose it (sin of int8 or bool is float16, of int16 float32, of int32 float64).
    public var floatResult: DType {
        switch self {
        case .float16, .float32, .float64: return self
        case .bool, .int8, .uint8: return .float16
        case .int16: return .float32
        case .int32, .int64: return .float64
        }
    }

    /// The type of a true quotient or a mean of this type: float64 for integers and bools (as
    /// NumPy's true_divide and mean), the type itself for floats.
    public var quotientResult: DType { isFloatingPoint ? self : .float64 }

    /// The common type of two tensors in a binary op, by NumPy's promotion table for these types:
    /// the wider of two floats or two signed integers; uint8 with a signed integer of 8 bits
    /// gives int16 (which holds both); an integer with a float, the wider of the float and the
    /// integer's `floatResult`; bool gives way to anything.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .bool { return b }
        if b == .bool { return a }
        switch (a.isFloatingPoint, b.isFloatingPoint) {
        case (true, true): return a.itemSize >= b.itemSize ? a : b
        case (true, false): return promote(a, b.floatResult)
        case (false, true): return promote(a.floatResult, b)
        case (false, false):
            if a == .uint8 || b == .uint8 {
                let signed = a == .uint8 ? b : a
                return signed.integerBits > 8 ? signed : .int16
            }
            return a.integerBits >= b.integerBits ? a : b
        }
    }

    /// Whether a value of type `source` may be stored into this type by an in-place op
    /// (NumPy's "same_kind" casting: no int target for a float result, no bool target for a
    /// number, no unsigned target for a signed integer).
    func acceptsInPlace(_ source: DType) -> Bool {
        if isFloatingPoint { return true }
        if self == .bool { return source == .bool }
        if self == .uint8 { return source == .uint8 || source == .bool }
        return !source.isFloatingPoint
    }

    /// The range of an integer type, nil for bool and the floats.
    var integerRange: ClosedRange<Int64>? {
        switch self {
        case .int8: return Int64(Int8.min)...Int64(Int8.max)
        case .uint8: return 0...Int64(UInt8.max)
        case .int16: return Int64(Int16.min)...Int64(Int16.max)
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        case .int64: return Int64.min...Int64.max
        default: return nil
        }
    }
}

/// The kind of a Python-style scalar operand, which promotes "weakly" (NumPy 2):
/// a scalar never widens a float tensor or an integer tensor of its kind, but a float scalar
/// turns an integer tensor into float64.
public enum ScalarKind: Int32, Sendable {
    case float = 1
    case int = 2
    case bool = 3

    /// The dtype the scalar takes when combined with a tensor of type `tensorType`.
    public func dtype(with tensorType: DType) -> DType {
        if tensorType.isFloatingPoint { return tensorType }
        switch self {
        case .float: return .float64
        case .bool: return tensorType
        case .int: return tensorType == .bool ? .int64 : tensorType
        }
    }
}

extension Int64 {
    /// Converts without trapping: NaN becomes 0, out-of-range values the nearest bound,
    /// fractions are truncated toward zero (as NumPy's cast does for in-range values).
    @inline(__always)
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
