/// Elementwise functions of one tensor.
public enum UnaryOp: Sendable {
    case neg, abs, exp, log, sqrt, square, sign, sigmoid, tanh

    /// The NumPy/PyDyNet name, used in error messages.
    public var name: String { "\(self)" }

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
        default: integerUnary(op, x, out)
        }
        if a.dtype == .bool && !op.isFloatFunction { out = try cast(out, to: .bool) }
        let result = out.detached()
        return out.recording(op.name, [a]) { g in [try unaryGradient(op, x, result, g)] }
    }

    private static func floatUnary<T: FloatElement>(_ op: UnaryOp, _ x: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .neg: Elementwise.map(x, out) { (v: T) in -v }
        case .abs: Elementwise.map(x, out) { (v: T) in Swift.abs(v) }
        case .exp: Elementwise.map(x, out) { (v: T) in T.exp(v) }
        case .log: Elementwise.map(x, out) { (v: T) in T.log(v) }
        case .sqrt: Elementwise.map(x, out) { (v: T) in v.squareRoot() }
        case .square: Elementwise.map(x, out) { (v: T) in v * v }
        case .sign: Elementwise.map(x, out) { (v: T) in T.sign(v) }
        case .sigmoid: Elementwise.map(x, out) { (v: T) in T.sigmoid(v) }
        case .tanh: Elementwise.map(x, out) { (v: T) in T.tanh(v) }
        }
    }

    private static func integerUnary(_ op: UnaryOp, _ x: Tensor, _ out: Tensor) {
        switch op {
        case .neg: Elementwise.map(x, out) { (v: Int64) in 0 &- v }
        case .abs: Elementwise.map(x, out) { (v: Int64) in v < 0 ? 0 &- v : v }
        case .square: Elementwise.map(x, out) { (v: Int64) in v &* v }
        default: Elementwise.map(x, out) { (v: Int64) -> Int64 in v > 0 ? 1 : (v < 0 ? -1 : 0) }
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
            case .neg: Elementwise.map(x, y, g, out) { (_: T, _: T, d: T) in -d }
            case .abs: Elementwise.map(x, y, g, out) { (v: T, _: T, d: T) in d * T.sign(v) }
            case .exp: Elementwise.map(x, y, g, out) { (_: T, f: T, d: T) in d * f }
            case .log: Elementwise.map(x, y, g, out) { (v: T, _: T, d: T) in d / v }
            case .sqrt: Elementwise.map(x, y, g, out) { (_: T, f: T, d: T) in d / (2 * f) }
            case .square: Elementwise.map(x, y, g, out) { (v: T, _: T, d: T) in 2 * v * d }
            case .sign: break
            case .sigmoid: Elementwise.map(x, y, g, out) { (_: T, f: T, d: T) in d * f * (1 - f) }
            case .tanh: Elementwise.map(x, y, g, out) { (_: T, f: T, d: T) in d * (1 - f * f) }
            }
        }
        if g.dtype == .float32 { fill(Float.self) } else { fill(Double.self) }
        return out
    }
}
