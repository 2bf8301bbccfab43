/// Binary elementwise ops. The codes are those of the C ABI's `gs_binary_op`.
public enum BinaryOp: Int32, Sendable {
    case add = 0, sub, mul, div, pow, maximum, minimum
    case eq, ne, lt, le, gt, ge

    /// The NumPy name, used in error messages.
    public var name: String {
        switch self {
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        case .pow: return "pow"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .eq: return "eq"
        case .ne: return "ne"
        case .lt: return "lt"
        case .le: return "le"
        case .gt: return "gt"
        case .ge: return "ge"
        }
    }

    /// True for the six comparisons, which give bool tensors.
    public var isComparison: Bool { rawValue >= BinaryOp.eq.rawValue }
}

extension Ops {
    /// `a op b` with NumPy broadcasting and type promotion.
    public static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        op.isComparison ? try compare(op, a, b) : try arithmetic(op, a, b)
    }

    /// `a op scalar` (or `scalar op a`), where the scalar promotes weakly, as a Python number does.
    public static func binary(_ op: BinaryOp, _ a: Tensor, scalar: Double, kind: ScalarKind,
                              scalarFirst: Bool = false) throws -> Tensor {
        let s = try Tensor.scalar(scalar, kind: kind, meeting: a)
        return scalarFirst ? try binary(op, s, a) : try binary(op, a, s)
    }

    /// Elementwise sum.
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try arithmetic(.add, a, b) }
    /// Elementwise difference.
    public static func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try arithmetic(.sub, a, b) }
    /// Elementwise product.
    public static func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try arithmetic(.mul, a, b) }
    /// Elementwise true division (ints give float64).
    public static func div(_ a: Tensor, _ b: Tensor) throws -> Tensor { try arithmetic(.div, a, b) }

    /// The result type of `a op b` and the type the computation runs in (bools run as int64).
    static func arithmeticTypes(_ op: BinaryOp, _ a: DType, _ b: DType) throws -> (result: DType, compute: DType) {
        var result = DType.promote(a, b)
        if op == .div { result = result.floatResult }
        if result == .bool && op == .sub {
            throw EngineError.dtype("sub: numpy boolean subtract is not supported; use logical ops")
        }
        if result == .bool && op == .pow { result = .int64 }  // NumPy gives an integer type
        return (result, result == .bool ? .int64 : result)
    }

    /// Forward and backward of add, sub, mul, div, pow, maximum and minimum.
    static func arithmetic(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: op.name)
        let types = try arithmeticTypes(op, a.dtype, b.dtype)
        var out = try Tensor(shape: shape, dtype: types.compute, op: op.name)
        let x = try cast(a, to: types.compute), y = try cast(b, to: types.compute)
        switch types.compute {
        case .float32: floatArithmetic(op, x, y, out, Float.self)
        case .float64: floatArithmetic(op, x, y, out, Double.self)
        default: try integerArithmetic(op, x, y, out)
        }
        if types.result != types.compute { out = try cast(out, to: types.result) }
        guard GradMode.isEnabled && (a.requiresGrad || b.requiresGrad) else { return out }
        // div differentiates through its result; a detached alias avoids a cycle.
        let result = op == .div ? out.detached() : nil
        return try out.recording(op.name, [a, b]) { g in
            switch op {
            case .add: return [g, g]
            case .sub: return [g, try negate(g)]
            case .mul: return [try mul(g, y), try mul(g, x)]
            case .div: return [try div(g, y), b.requiresGrad ? try mul(try div(try negate(g), y), result!) : nil]
            case .pow: return try powGradients(x, y, g, needBase: a.requiresGrad, needExponent: b.requiresGrad)
            default: return try extremumGradients(op, x, y, g)
            }
        }
    }

    private static func floatArithmetic<T: FloatElement>(_ op: BinaryOp, _ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .div: Elementwise.map(Divide<T>.self, x, y, out)
        case .pow: Elementwise.map(Power<T>.self, x, y, out)
        default: sharedArithmetic(op, x, y, out, T.self)
        }
    }

    private static func integerArithmetic(_ op: BinaryOp, _ x: Tensor, _ y: Tensor, _ out: Tensor) throws {
        switch op {
        case .pow:
            let exponents = y.pointer(Int64.self)
            if (0..<y.count).contains(where: { exponents[$0] < 0 }) {
                throw EngineError.invalidArgument("pow: integers to negative integer powers are not allowed")
            }
            Elementwise.map(IntegerPower.self, x, y, out)
        case .div:
            throw EngineError.invalidArgument("div: integer operands are divided as floats")
        default:
            sharedArithmetic(op, x, y, out, Int64.self)
        }
    }

    /// The ops whose kernels are the same for floats and (wrapping) integers.
    private static func sharedArithmetic<T: ArithmeticElement>(_ op: BinaryOp, _ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .add: Elementwise.map(Add<T>.self, x, y, out)
        case .sub: Elementwise.map(Subtract<T>.self, x, y, out)
        case .mul: Elementwise.map(Multiply<T>.self, x, y, out)
        case .maximum: Elementwise.map(Maximum<T>.self, x, y, out)
        default: Elementwise.map(Minimum<T>.self, x, y, out)
        }
    }

    /// d(x^y)/dx = y·x^(y-1) and d(x^y)/dy = x^y·ln x, each computed only when needed, with
    /// PyTorch's masks at the edges: 0 for dx where y = 0, and for dy where x = 0 and y >= 0.
    private static func powGradients(_ x: Tensor, _ y: Tensor, _ g: Tensor,
                                     needBase: Bool, needExponent: Bool) throws -> [Tensor?] {
        let shape = try Shape.broadcast(x.shape, y.shape, op: "pow")
        func gradient<K: TernaryKernel>(_: K.Type) throws -> Tensor {
            let out = try Tensor(shape: shape, dtype: g.dtype, op: "pow")
            Elementwise.map(K.self, x, y, g, out)
            return out
        }
        if g.dtype == .float32 {
            return [needBase ? try gradient(PowBaseGradient<Float>.self) : nil,
                    needExponent ? try gradient(PowExponentGradient<Float>.self) : nil]
        }
        return [needBase ? try gradient(PowBaseGradient<Double>.self) : nil,
                needExponent ? try gradient(PowExponentGradient<Double>.self) : nil]
    }

    /// Gradients of maximum/minimum: to the operand that won, split evenly on ties (as PyTorch).
    private static func extremumGradients(_ op: BinaryOp, _ x: Tensor, _ y: Tensor, _ g: Tensor) throws -> [Tensor?] {
        let shape = try Shape.broadcast(x.shape, y.shape, op: op.name)
        let gx = try Tensor(shape: shape, dtype: g.dtype, op: op.name)
        let gy = try Tensor(shape: shape, dtype: g.dtype, op: op.name)
        func fill<T: FloatElement>(_: T.Type) {
            if op == .maximum {
                Elementwise.map(WinnerGradient<T, Greater<T>>.self, x, y, g, gx)
                Elementwise.map(WinnerGradient<T, Greater<T>>.self, y, x, g, gy)
            } else {
                Elementwise.map(WinnerGradient<T, Less<T>>.self, x, y, g, gx)
                Elementwise.map(WinnerGradient<T, Less<T>>.self, y, x, g, gy)
            }
        }
        if g.dtype == .float32 { fill(Float.self) } else { fill(Double.self) }
        return [gx, gy]
    }
}

// MARK: Kernels

/// a + b
enum Add<T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { T.add(a, b) }
}

/// a - b
enum Subtract<T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { T.subtract(a, b) }
}

/// a * b
enum Multiply<T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { T.multiply(a, b) }
}

/// a / b
enum Divide<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { a / b }
}

/// a ** b (C's pow)
enum Power<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { T.pow(a, b) }
}

/// a ** n for integers, n >= 0, by squaring (wrapping on overflow, as NumPy).
enum IntegerPower: BinaryKernel {
    @inline(__always) static func apply(_ base: Int64, _ exponent: Int64) -> Int64 {
        var result: Int64 = 1, b = base, n = exponent
        while n > 0 {
            if n & 1 == 1 { result = result &* b }
            b = b &* b
            n >>= 1
        }
        return result
    }
}

/// d(x^y)/dx = d·y·x^(y-1), and 0 where y = 0 (x^0 is constant, even at x = 0).
enum PowBaseGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ y: T, _ d: T) -> T {
        y == 0 ? 0 : d * y * T.pow(x, y - 1)
    }
}

/// d(x^y)/dy = d·x^y·ln x, and 0 where x = 0 and y >= 0 (as PyTorch).
enum PowExponentGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ y: T, _ d: T) -> T {
        x == 0 && y >= 0 ? 0 : d * T.pow(x, y) * T.log(x)
    }
}

/// The larger of a and b; NaN propagates (`a != a` only for NaN).
enum Maximum<T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { a != a || a > b ? a : b }
}

/// The smaller of a and b; NaN propagates.
enum Minimum<T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { a != a || a < b ? a : b }
}

/// Gradient reaching `a` through maximum/minimum(a, b): all of `d` where `a` wins by `Rule`,
/// half on a tie (as PyTorch), none where it loses.
enum WinnerGradient<T: FloatElement, Rule: BinaryKernel>: TernaryKernel where Rule.Left == T, Rule.Right == T, Rule.Output == Bool {
    @inline(__always) static func apply(_ a: T, _ b: T, _ d: T) -> T {
        Rule.apply(a, b) ? d : (a == b ? d / 2 : 0)
    }
}
