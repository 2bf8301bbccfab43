/// Elementwise comparisons, each declared once (see ElementwiseFunctions.swift): broadcasting,
/// operands promoted to a common type, a bool result and no gradient.
extension Ops {
    /// a == b.
    public static func eq(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Equal.self, a, b) }
    /// a != b.
    public static func ne(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(NotEqual.self, a, b) }
    /// a < b.
    public static func lt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Less.self, a, b) }
    /// a <= b.
    public static func le(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(LessOrEqual.self, a, b) }
    /// a > b.
    public static func gt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Greater.self, a, b) }
    /// a >= b.
    public static func ge(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(GreaterOrEqual.self, a, b) }
}

extension OpTable {
    /// The comparisons.
    static let comparisons: [Entry] = [
        Entry(Equal.self), Entry(NotEqual.self), Entry(Less.self), Entry(LessOrEqual.self), Entry(Greater.self),
        Entry(GreaterOrEqual.self),
    ]
}

/// a == b
enum Equal: ComparisonFunction {
    static let name = "eq"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a == b }
}

/// a != b
enum NotEqual: ComparisonFunction {
    static let name = "ne"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a != b }
}

/// a < b
enum Less: ComparisonFunction {
    static let name = "lt"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a < b }
}

/// a <= b
enum LessOrEqual: ComparisonFunction {
    static let name = "le"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a <= b }
}

/// a > b
enum Greater: ComparisonFunction {
    static let name = "gt"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a > b }
}

/// a >= b
enum GreaterOrEqual: ComparisonFunction {
    static let name = "ge"
    @inline(__always) static func value<T: Comparable>(_ a: T, _ b: T) -> Bool { a >= b }
}
