/// Binary elementwise ops, each declared once (see ElementwiseFunctions.swift), with NumPy
/// broadcasting and type promotion.
extension Ops {
    /// Elementwise sum.
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Addition.self, a, b) }
    /// Elementwise difference.
    public static func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Subtraction.self, a, b) }
    /// Elementwise product.
    public static func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Multiplication.self, a, b) }
    /// Elementwise true division (ints give float64).
    public static func div(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Division.self, a, b) }
    /// Elementwise power a ** b.
    public static func pow(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Power.self, a, b) }
    /// Elementwise maximum (NaN propagates; the gradient is split on ties).
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Maximum.self, a, b) }
    /// Elementwise minimum (NaN propagates; the gradient is split on ties).
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Minimum.self, a, b) }

    /// start + weight·(end - start), the three broadcast together (`torch.lerp`), written with
    /// the ops above, which give its gradients.
    public static func lerp(_ start: Tensor, _ end: Tensor, weight: Tensor) throws -> Tensor {
        _ = try Shape.broadcast(try Shape.broadcast(start.shape, end.shape, op: "lerp"), weight.shape, op: "lerp")
        return try start + weight * (end - start)
    }
}

/// The binary ops by the codes of the C ABI's `gs_binary_op` (arithmetic, then comparisons).
public enum BinaryOp: Int32, CaseIterable, Sendable {
    case add = 0, sub, mul, div, pow, maximum, minimum
    case eq, ne, lt, le, gt, ge

    /// The op's name, entry point and result dtype (from the operands' promoted dtype).
    private var definition: (name: String, apply: (Tensor, Tensor) throws -> Tensor, resultType: (DType) throws -> DType) {
        switch self {
        case .add: return (Addition.name, Ops.add, Addition.resultType)
        case .sub: return (Subtraction.name, Ops.sub, Subtraction.resultType)
        case .mul: return (Multiplication.name, Ops.mul, Multiplication.resultType)
        case .div: return (Division.name, Ops.div, Division.resultType)
        case .pow: return (Power.name, Ops.pow, Power.resultType)
        case .maximum: return (Maximum.name, Ops.maximum, Maximum.resultType)
        case .minimum: return (Minimum.name, Ops.minimum, Minimum.resultType)
        case .eq: return (Equal.name, Ops.eq, { _ in .bool })
        case .ne: return (NotEqual.name, Ops.ne, { _ in .bool })
        case .lt: return (Less.name, Ops.lt, { _ in .bool })
        case .le: return (LessOrEqual.name, Ops.le, { _ in .bool })
        case .gt: return (Greater.name, Ops.gt, { _ in .bool })
        case .ge: return (GreaterOrEqual.name, Ops.ge, { _ in .bool })
        }
    }

    /// The op's name (NumPy's), used in error messages.
    public var name: String { definition.name }

    /// True for the six comparisons, which give bool tensors.
    public var isComparison: Bool { rawValue >= BinaryOp.eq.rawValue }

    /// The dtype of `a op b` for operands of dtypes `a` and `b`.
    func resultType(_ a: DType, _ b: DType) throws -> DType { try definition.resultType(DType.promote(a, b)) }

    /// `a op b`.
    public func callAsFunction(_ a: Tensor, _ b: Tensor) throws -> Tensor { try definition.apply(a, b) }
}

extension Ops {
    /// `a op b` with NumPy broadcasting and type promotion.
    public static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor { try op(a, b) }

    /// `a op scalar` (or `scalar op a`), where the scalar promotes weakly, as a Python number does.
    public static func binary(_ op: BinaryOp, _ a: Tensor, scalar: Double, kind: ScalarKind,
                              scalarFirst: Bool = false) throws -> Tensor {
        let s = try Tensor.scalar(scalar, kind: kind, meeting: a)
        return scalarFirst ? try op(s, a) : try op(a, s)
    }
}

extension OpTable {
    /// The arithmetic ops.
    static let arithmetic: [Entry] = [
        Entry(Addition.self), Entry(Subtraction.self), Entry(Multiplication.self), Entry(Division.self), Entry(Power.self),
        Entry(Maximum.self), Entry(Minimum.self),
    ]
}

/// a + b
enum Addition: NumericBinaryFunction {
    static let name = "add"
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { T.add(a, b) }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) { (g, g) }
}

/// a - b (refused for bools, as NumPy)
enum Subtraction: NumericBinaryFunction {
    static let name = "sub"
    static func resultType(_ promoted: DType) throws -> DType {
        guard promoted != .bool else { throw EngineError.dtype("sub: numpy boolean subtract is not supported; use logical ops") }
        return promoted
    }
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { T.subtract(a, b) }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (g, needs.1 ? try -g : nil)
    }
}

/// a · b
enum Multiplication: NumericBinaryFunction {
    static let name = "mul"
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { T.multiply(a, b) }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try g * b : nil, needs.1 ? try g * a : nil)
    }
}

/// a / b; d/db = -g·(a/b)/b
enum Division: FloatBinaryFunction {
    static let name = "div"
    static func resultType(_ promoted: DType) throws -> DType { promoted.quotientResult }
    @inline(__always) static func value<T: FloatElement>(_ a: T, _ b: T) -> T { a / b }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try g / b : nil, needs.1 ? try -g / b * output : nil)
    }
}

/// a ** b: C's pow for floats, repeated squaring for ints (wrapping, as NumPy; negative integer
/// exponents are refused); bools give int64. Derivatives with PyTorch's masks at the edges:
/// d/da = g·b·a^(b-1), 0 where b = 0 (a^0 is constant, even at a = 0); d/db = g·a^b·ln a, 0 where
/// a = 0 and b >= 0.
enum Power: NumericBinaryFunction {
    static let name = "pow"
    static func resultType(_ promoted: DType) throws -> DType { promoted == .bool ? .int64 : promoted }
    static func check(_ a: Tensor, _ b: Tensor) throws {
        guard b.dtype == .int64 else { return }
        let exponents = b.pointer(Int64.self)
        if (0..<b.count).contains(where: { exponents[$0] < 0 }) {
            throw EngineError.invalidArgument("pow: integers to negative integer powers are not allowed")
        }
    }
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { T.power(a, b) }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        let zero = try Tensor.scalar(0, dtype: g.dtype)
        var da: Tensor?, db: Tensor?
        if needs.0 {
            da = try Ops.where(Ops.eq(b, zero), zero, g * b * Ops.pow(a, b - 1))
        }
        if needs.1 {
            let flat = try Ops.mul(Ops.eq(a, zero), Ops.ge(b, zero))
            db = try Ops.where(flat, zero, g * output * Ops.log(a))
        }
        return (da, db)
    }
}

/// The larger of a and b (NaN propagates); the gradient goes to the winner, half to each on a tie.
enum Maximum: NumericBinaryFunction {
    static let name = "maximum"
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { a != a || a > b ? a : b }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        try extremumGradients(g, wins: (needs.0 ? Ops.gt(a, b) : nil, needs.1 ? Ops.gt(b, a) : nil), ties: Ops.eq(a, b))
    }
}

/// The smaller of a and b (NaN propagates); the gradient goes to the winner, half to each on a tie.
enum Minimum: NumericBinaryFunction {
    static let name = "minimum"
    @inline(__always) static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T { a != a || a < b ? a : b }
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient g: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        try extremumGradients(g, wins: (needs.0 ? Ops.lt(a, b) : nil, needs.1 ? Ops.lt(b, a) : nil), ties: Ops.eq(a, b))
    }
}

/// g times each operand's share: 1 where it wins, 1/2 on a tie, 0 where it loses (PyTorch's split).
private func extremumGradients(_ g: Tensor, wins: (Tensor?, Tensor?), ties: Tensor) throws -> (Tensor?, Tensor?) {
    let half = try Ops.cast(ties, to: g.dtype) * 0.5
    func share(_ won: Tensor?) throws -> Tensor? {
        guard let won else { return nil }
        return try g * (Ops.cast(won, to: g.dtype) + half)
    }
    return (try share(wins.0), try share(wins.1))
}
