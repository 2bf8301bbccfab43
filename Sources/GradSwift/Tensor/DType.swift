/// The element types a tensor can hold.
public enum DType: Int32, CaseIterable, Sendable {
    case float32 = 0
    case float64 = 1
    case int64 = 2
    case bool = 3

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32: return 4
        case .float64, .int64: return 8
        case .bool: return 1
        }
    }

    /// Whether gradients can flow through tensors of this type.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// Rank in NumPy's promotion order: bool < int64 < float32 < float64.
    var promotionRank: Int {
        switch self {
        case .bool: return 0
        case .int64: return 1
        case .float32: return 2
        case .float64: return 3
        }
    }

    /// NumPy-style name, used in error messages.
    public var name: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        case .bool: return "bool"
        }
    }

    /// The common type of two tensors in a binary op (NumPy 2 rules for these four types:
    /// the wider one, except that int64 with float32 needs float64 to hold every int64).
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if (a == .int64 && b == .float32) || (a == .float32 && b == .int64) { return .float64 }
        return a.promotionRank >= b.promotionRank ? a : b
    }

    /// The floating type a float-valued function of this type returns (ints and bools give float64).
    public var floatResult: DType { isFloatingPoint ? self : .float64 }

    /// Whether a value of type `source` may be stored into this type by an in-place op
    /// (NumPy's "same_kind" casting: no int target for a float result, no bool target for a number).
    func acceptsInPlace(_ source: DType) -> Bool {
        switch self {
        case .float32, .float64: return true
        case .int64: return source == .int64 || source == .bool
        case .bool: return source == .bool
        }
    }
}

/// The kind of a Python-style scalar operand, which promotes "weakly" (NumPy 2):
/// a scalar never widens a float tensor, but a float scalar turns an int tensor into float64.
public enum ScalarKind: Int32, Sendable {
    case float = 1
    case int = 2
    case bool = 3

    /// The dtype the scalar takes when combined with a tensor of type `tensorType`.
    public func dtype(with tensorType: DType) -> DType {
        switch (tensorType, self) {
        case (.float32, _), (.float64, _): return tensorType
        case (_, .float): return .float64
        case (.bool, .bool): return .bool
        default: return .int64
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
