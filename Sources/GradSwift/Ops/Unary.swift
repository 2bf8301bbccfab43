/// Elementwise functions of one tensor.
public enum UnaryOp: Sendable {
    case neg, abs, exp, log, sqrt, square, sign, sigmoid, tanh

    /// The NumPy/PyDyNet name, used in error messages (a switch: `"\(self)"` would reflect).
    public var name: String {
        switch self {
        case .neg: return "neg"
        case .abs: return "abs"
        case .exp: return "exp"
        case .log: return "log"
        case .sqrt: return "sqrt"
        case .square: return "square"
        case .sign: return "sign"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        }
    }

    /// True for the functions that always give a floating result (ints give float64).
    var isFloatFunction: Bool {
        switch self {
        case .exp, .log, .sqrt, .sigmoid, .tanh: return true
        case .neg, .abs, .square, .sign: return false
        }
    }
}

extension Ops {
    /// `-a`.
    public static func negate(_ a: Tensor) throws -> Tensor { try unary(.neg, a) }

    /// Forward and backward of the elementwise functions.
    public static func unary(_ op: UnaryOp, _ a: Tensor) throws -> Tensor {
        var type = op.isFloatFunction ? a.dtype.floatResult : a.dtype
        if type == .bool {
            guard op == .abs || op == .square else {
                throw EngineError.dtype("\(op.name): not supported for bool tensors")
            }
            type = .int64
        }
        let x = try cast(a, to: type)
        var out = try Tensor(shape: a.shape, dtype: type, op: op.name)
        switch type {
        case .float32: floatUnary(op, x, out, Float.self)
        case .float64: floatUnary(op, x, out, Double.self)
        default: sharedUnary(op, x, out, Int64.self)
        }
        if a.dtype == .bool && !op.isFloatFunction { out = try cast(out, to: .bool) }
        let result = out.detached()
        return try out.recording(op.name, [a]) { g in [try unaryGradient(op, x, result, g)] }
    }

    private static func floatUnary<T: FloatElement>(_ op: UnaryOp, _ x: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .exp: Elementwise.map(Exp<T>.self, x, out)
        case .log: Elementwise.map(Log<T>.self, x, out)
        case .sqrt: Elementwise.map(SquareRoot<T>.self, x, out)
        case .sigmoid: Elementwise.map(Logistic<T>.self, x, out)
        case .tanh: Elementwise.map(HyperbolicTangent<T>.self, x, out)
        default: sharedUnary(op, x, out, T.self)
        }
    }

    /// The functions whose kernels are the same for floats and (wrapping) integers.
    private static func sharedUnary<T: ArithmeticElement>(_ op: UnaryOp, _ x: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .neg: Elementwise.map(Negate<T>.self, x, out)
        case .abs: Elementwise.map(Absolute<T>.self, x, out)
        case .square: Elementwise.map(Square<T>.self, x, out)
        default: Elementwise.map(Sign<T>.self, x, out)
        }
    }

    /// The input gradient of a unary function, fused into one pass over (x, f(x), g).
    private static func unaryGradient(_ op: UnaryOp, _ x: Tensor, _ y: Tensor, _ g: Tensor) throws -> Tensor {
        // sign is flat: a zero fill (a constant closure here gets merged across element types by
        // the optimiser and writes 8-byte zeros into float32 buffers).
        if op == .sign { return try Tensor(shape: x.shape, dtype: g.dtype, zeroed: true, op: op.name) }
        let out = try Tensor(shape: x.shape, dtype: g.dtype, op: op.name)
        func fill<T: FloatElement>(_: T.Type) {
            switch op {
            case .neg: Elementwise.map(NegateGradient<T>.self, x, y, g, out)
            case .abs: Elementwise.map(AbsoluteGradient<T>.self, x, y, g, out)
            case .exp: Elementwise.map(ExpGradient<T>.self, x, y, g, out)
            case .log: Elementwise.map(LogGradient<T>.self, x, y, g, out)
            case .sqrt: Elementwise.map(SquareRootGradient<T>.self, x, y, g, out)
            case .square: Elementwise.map(SquareGradient<T>.self, x, y, g, out)
            case .sigmoid: Elementwise.map(LogisticGradient<T>.self, x, y, g, out)
            case .tanh: Elementwise.map(HyperbolicTangentGradient<T>.self, x, y, g, out)
            case .sign: break
            }
        }
        if g.dtype == .float32 { fill(Float.self) } else { fill(Double.self) }
        return out
    }
}

// MARK: Kernels: f(x), and the input gradient from (x, f(x), output gradient d)

/// -x
enum Negate<T: ArithmeticElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.negate(x) }
}

/// d(-x) = -d
enum NegateGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { -d }
}

/// |x|
enum Absolute<T: ArithmeticElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.absolute(x) }
}

/// d|x| = d·sign(x) (0 at 0)
enum AbsoluteGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d * T.signum(x) }
}

/// x·x
enum Square<T: ArithmeticElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.multiply(x, x) }
}

/// d(x²) = 2x·d
enum SquareGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { 2 * x * d }
}

/// sign(x): -1, 0 or 1 (flat: its gradient is a zero fill)
enum Sign<T: ArithmeticElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.signum(x) }
}

/// e^x
enum Exp<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.exp(x) }
}

/// d(e^x) = e^x·d
enum ExpGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d * f }
}

/// ln x
enum Log<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.log(x) }
}

/// d(ln x) = d / x
enum LogGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d / x }
}

/// √x
enum SquareRoot<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { x.squareRoot() }
}

/// d(√x) = d / (2√x)
enum SquareRootGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d / (2 * f) }
}

/// 1 / (1 + e^-x), without overflow
enum Logistic<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.sigmoid(x) }
}

/// dσ = d·σ·(1 - σ)
enum LogisticGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d * f * (1 - f) }
}

/// tanh x
enum HyperbolicTangent<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { T.tanh(x) }
}

/// d(tanh x) = d·(1 - tanh²x)
enum HyperbolicTangentGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ f: T, _ d: T) -> T { d * (1 - f * f) }
}
