import CHandles
import GradSwift

// MARK: Elementwise binary ops (NumPy broadcasting and type promotion)

/// Elementwise a + b, with broadcasting. The caller owns `*result`.
@c(gs_add)
public func gsAdd(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_add", Ops.add, a, b, result)
}

/// Elementwise a - b, with broadcasting. The caller owns `*result`.
@c(gs_sub)
public func gsSub(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_sub", Ops.sub, a, b, result)
}

/// Elementwise a * b, with broadcasting. The caller owns `*result`.
@c(gs_mul)
public func gsMul(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_mul", Ops.mul, a, b, result)
}

/// Elementwise true division a / b (ints give float64), with broadcasting.
/// The caller owns `*result`.
@c(gs_div)
public func gsDiv(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_div", Ops.div, a, b, result)
}

/// Elementwise a ** b, with broadcasting. The caller owns `*result`.
@c(gs_pow)
public func gsPow(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_pow", Ops.pow, a, b, result)
}

/// Elementwise maximum (NaN propagates; gradient split on ties), with broadcasting.
/// The caller owns `*result`.
@c(gs_maximum)
public func gsMaximum(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_maximum", Ops.maximum, a, b, result)
}

/// Elementwise minimum (NaN propagates; gradient split on ties), with broadcasting.
/// The caller owns `*result`.
@c(gs_minimum)
public func gsMinimum(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_minimum", Ops.minimum, a, b, result)
}

/// The angle of the point (b, a), in [-pi, pi] (ints give NumPy's float type), with broadcasting.
/// The caller owns `*result`.
@c(gs_atan2)
public func gsAtan2(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_atan2", Ops.atan2, a, b, result)
}

/// sqrt(a^2 + b^2) without overflow (ints give NumPy's float type), with broadcasting. The caller owns
/// `*result`.
@c(gs_hypot)
public func gsHypot(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_hypot", Ops.hypot, a, b, result)
}

/// Elementwise a == b (bool result, no gradient), with broadcasting. The caller owns `*result`.
@c(gs_eq)
public func gsEq(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_eq", Ops.eq, a, b, result)
}

/// Elementwise a != b (bool result), with broadcasting. The caller owns `*result`.
@c(gs_ne)
public func gsNe(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_ne", Ops.ne, a, b, result)
}

/// Elementwise a < b (bool result), with broadcasting. The caller owns `*result`.
@c(gs_lt)
public func gsLt(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_lt", Ops.lt, a, b, result)
}

/// Elementwise a <= b (bool result), with broadcasting. The caller owns `*result`.
@c(gs_le)
public func gsLe(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_le", Ops.le, a, b, result)
}

/// Elementwise a > b (bool result), with broadcasting. The caller owns `*result`.
@c(gs_gt)
public func gsGt(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_gt", Ops.gt, a, b, result)
}

/// Elementwise a >= b (bool result), with broadcasting. The caller owns `*result`.
@c(gs_ge)
public func gsGe(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    binaryCall("gs_ge", Ops.ge, a, b, result)
}

/// `a op scalar` (or `scalar op a` when `scalar_first`) for an op code of gs_binary_op; the
/// scalar promotes like a Python number of kind `scalar_kind` (gs_scalar_kind).
@c(gs_binary_scalar)
public func gsBinaryScalar(_ op: Int32, _ a: gs_tensor, _ scalar: Double, _ scalarKind: Int32, _ scalarFirst: Bool,
                           _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_binary_scalar", result) {
        let name = "gs_binary_scalar"
        return try Ops.binary(try binaryOp(op, name), try tensor(a, name, "a"), scalar: scalar,
                              kind: try decodeScalarKind(scalarKind, name), scalarFirst: scalarFirst)
    }
}

/// `target op= value` in place for op add, sub, mul or div; fails on a tensor that requires
/// grad while grad mode is on, and when the result type does not fit the target.
@c(gs_inplace)
public func gsInplace(_ op: Int32, _ target: gs_tensor, _ value: gs_tensor) -> Int32 {
    guarded("gs_inplace") {
        let name = "gs_inplace"
        try Ops.inPlace(try binaryOp(op, name), try tensor(target, name, "target"), try tensor(value, name, "value"))
    }
}

/// `target op= scalar` in place (see gs_inplace).
@c(gs_inplace_scalar)
public func gsInplaceScalar(_ op: Int32, _ target: gs_tensor, _ scalar: Double, _ scalarKind: Int32) -> Int32 {
    guarded("gs_inplace_scalar") {
        let name = "gs_inplace_scalar"
        try Ops.inPlace(try binaryOp(op, name), try tensor(target, name, "target"), scalar: scalar,
                        kind: try decodeScalarKind(scalarKind, name))
    }
}

// MARK: Elementwise unary ops

/// -a. The caller owns `*result`.
@c(gs_neg)
public func gsNeg(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_neg", Ops.negate, a, result)
}

/// |a|. The caller owns `*result`.
@c(gs_abs)
public func gsAbs(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_abs", Ops.abs, a, result)
}

/// e^a (ints give NumPy's float type). The caller owns `*result`.
@c(gs_exp)
public func gsExp(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_exp", Ops.exp, a, result)
}

/// Natural log (ints give NumPy's float type). The caller owns `*result`.
@c(gs_log)
public func gsLog(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_log", Ops.log, a, result)
}

/// Square root (ints give NumPy's float type). The caller owns `*result`.
@c(gs_sqrt)
public func gsSqrt(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_sqrt", Ops.sqrt, a, result)
}

/// a * a. The caller owns `*result`.
@c(gs_square)
public func gsSquare(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_square", Ops.square, a, result)
}

/// -1, 0 or 1 (zero gradient). The caller owns `*result`.
@c(gs_sign)
public func gsSign(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_sign", Ops.sign, a, result)
}

/// Logistic function 1 / (1 + e^-a), overflow-free. The caller owns `*result`.
@c(gs_sigmoid)
public func gsSigmoid(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_sigmoid", Ops.sigmoid, a, result)
}

/// Hyperbolic tangent. The caller owns `*result`.
@c(gs_tanh)
public func gsTanh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_tanh", Ops.tanh, a, result)
}

/// Sine (ints give NumPy's float type). The caller owns `*result`.
@c(gs_sin)
public func gsSin(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_sin", Ops.sin, a, result)
}

/// Cosine (ints give NumPy's float type). The caller owns `*result`.
@c(gs_cos)
public func gsCos(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_cos", Ops.cos, a, result)
}

/// Tangent (ints give NumPy's float type). The caller owns `*result`.
@c(gs_tan)
public func gsTan(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_tan", Ops.tan, a, result)
}

/// Inverse sine (NaN outside [-1, 1]; ints give NumPy's float type). The caller owns `*result`.
@c(gs_asin)
public func gsAsin(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_asin", Ops.asin, a, result)
}

/// Inverse cosine (NaN outside [-1, 1]; ints give NumPy's float type). The caller owns `*result`.
@c(gs_acos)
public func gsAcos(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_acos", Ops.acos, a, result)
}

/// Inverse tangent (ints give NumPy's float type). The caller owns `*result`.
@c(gs_atan)
public func gsAtan(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_atan", Ops.atan, a, result)
}

/// Hyperbolic sine (ints give NumPy's float type). The caller owns `*result`.
@c(gs_sinh)
public func gsSinh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_sinh", Ops.sinh, a, result)
}

/// Hyperbolic cosine (ints give NumPy's float type). The caller owns `*result`.
@c(gs_cosh)
public func gsCosh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_cosh", Ops.cosh, a, result)
}

/// Inverse hyperbolic sine (ints give NumPy's float type). The caller owns `*result`.
@c(gs_asinh)
public func gsAsinh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_asinh", Ops.asinh, a, result)
}

/// Inverse hyperbolic cosine (NaN below 1; ints give NumPy's float type). The caller owns `*result`.
@c(gs_acosh)
public func gsAcosh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_acosh", Ops.acosh, a, result)
}

/// Inverse hyperbolic tangent (NaN outside [-1, 1]; ints give NumPy's float type). The caller owns `*result`.
@c(gs_atanh)
public func gsAtanh(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_atanh", Ops.atanh, a, result)
}

/// ln(1 + a), accurate for small a (ints give NumPy's float type). The caller owns `*result`.
@c(gs_log1p)
public func gsLog1p(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_log1p", Ops.log1p, a, result)
}

/// e^a - 1, accurate for small a (ints give NumPy's float type). The caller owns `*result`.
@c(gs_expm1)
public func gsExpm1(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_expm1", Ops.expm1, a, result)
}

/// Base-2 logarithm (ints give NumPy's float type). The caller owns `*result`.
@c(gs_log2)
public func gsLog2(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_log2", Ops.log2, a, result)
}

/// Base-10 logarithm (ints give NumPy's float type). The caller owns `*result`.
@c(gs_log10)
public func gsLog10(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_log10", Ops.log10, a, result)
}

/// 2^a (ints give NumPy's float type). The caller owns `*result`.
@c(gs_exp2)
public func gsExp2(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_exp2", Ops.exp2, a, result)
}

/// 1 / sqrt(a) (ints give NumPy's float type). The caller owns `*result`.
@c(gs_rsqrt)
public func gsRsqrt(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_rsqrt", Ops.rsqrt, a, result)
}

/// 1 / a (ints give NumPy's float type). The caller owns `*result`.
@c(gs_reciprocal)
public func gsReciprocal(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_reciprocal", Ops.reciprocal, a, result)
}

/// The error function (ints give NumPy's float type). The caller owns `*result`.
@c(gs_erf)
public func gsErf(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_erf", Ops.erf, a, result)
}

/// The largest integral value <= a, in a's dtype (zero gradient; bool refused). The caller owns `*result`.
@c(gs_floor)
public func gsFloor(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_floor", Ops.floor, a, result)
}

/// The smallest integral value >= a, in a's dtype (zero gradient; bool refused). The caller owns `*result`.
@c(gs_ceil)
public func gsCeil(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_ceil", Ops.ceil, a, result)
}

/// a rounded toward zero, in a's dtype (zero gradient; bool refused). The caller owns `*result`.
@c(gs_trunc)
public func gsTrunc(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    unaryCall("gs_trunc", Ops.trunc, a, result)
}

/// a rounded to `decimals` decimal places, halves to even (NumPy's and PyTorch's rule), in a's
/// dtype, with a zero gradient; integer tensors take only `decimals` 0. The caller owns `*result`.
@c(gs_round)
public func gsRound(_ a: gs_tensor, _ decimals: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_round", result) {
        try Ops.round(try tensor(a, "gs_round", "a"), decimals: Int(clamping: decimals))
    }
}

/// `a` limited to [min, max], where `min` and `max` are tensors broadcasting with `a` (a handle
/// with id 0: no bound; at least one is needed); the three are promoted to a common dtype. The
/// gradient goes to `a` where min <= a <= max, else to the bound it met. The caller owns `*result`.
@c(gs_clamp)
public func gsClamp(_ a: gs_tensor, _ min: gs_tensor, _ max: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_clamp", result) {
        let name = "gs_clamp"
        return try Ops.clamp(try tensor(a, name, "a"), min: try optionalTensor(min, name, "min"),
                             max: try optionalTensor(max, name, "max"))
    }
}

/// `a` limited to [min, max] given as scalars of kind `scalar_kind` (gs_scalar_kind), which
/// promote as Python numbers do (gs_binary_scalar); `has_min` / `has_max` false: no such bound
/// (at least one is needed). The caller owns `*result`.
@c(gs_clamp_scalar)
public func gsClampScalar(_ a: gs_tensor, _ min: Double, _ hasMin: Bool, _ max: Double, _ hasMax: Bool,
                          _ scalarKind: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_clamp_scalar", result) {
        let name = "gs_clamp_scalar"
        return try Ops.clamp(try tensor(a, name, "a"), min: hasMin ? min : nil, max: hasMax ? max : nil,
                             kind: try decodeScalarKind(scalarKind, name))
    }
}

/// `a` where `condition` (a bool tensor) is true, `b` elsewhere, the three broadcast together
/// and `a`, `b` promoted to a common dtype; the gradient goes to the operand chosen. The caller
/// owns `*result`.
@c(gs_where)
public func gsWhere(_ condition: gs_tensor, _ a: gs_tensor, _ b: gs_tensor,
                    _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_where", result) {
        try Ops.where(try tensor(condition, "gs_where", "condition"), try tensor(a, "gs_where", "a"),
                      try tensor(b, "gs_where", "b"))
    }
}

/// start + weight * (end - start), the three broadcast together. The caller owns `*result`.
@c(gs_lerp)
public func gsLerp(_ start: gs_tensor, _ end: gs_tensor, _ weight: gs_tensor,
                   _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_lerp", result) {
        try Ops.lerp(try tensor(start, "gs_lerp", "start"), try tensor(end, "gs_lerp", "end"),
                     weight: try tensor(weight, "gs_lerp", "weight"))
    }
}

// MARK: Linear algebra

/// Matrix product with np.matmul's rules (1-D promotion, batch broadcasting), through BLAS.
@c(gs_matmul)
public func gsMatmul(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_matmul", result) { try Ops.matmul(try tensor(a, "gs_matmul", "a"), try tensor(b, "gs_matmul", "b")) }
}

// MARK: Reductions (naxes = -1 means every axis)

/// Sum over `axes[0..naxes)`, or every axis when `naxes` is -1.
@c(gs_sum)
public func gsSum(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.sum, "gs_sum", a, axes, naxes, keepdims, result)
}

/// Mean (ints give float64) over `axes[0..naxes)`, or every axis when `naxes` is -1.
@c(gs_mean)
public func gsMean(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.mean, "gs_mean", a, axes, naxes, keepdims, result)
}

/// Maximum (gradient split among ties) over `axes[0..naxes)`, or every axis when `naxes` is -1.
@c(gs_max)
public func gsMax(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.max, "gs_max", a, axes, naxes, keepdims, result)
}

/// Minimum (gradient split among ties) over `axes[0..naxes)`, or every axis when `naxes` is -1.
@c(gs_min)
public func gsMin(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.min, "gs_min", a, axes, naxes, keepdims, result)
}

/// Index of the first maximum (int64) along `axes[0]` (`naxes` 1), or into the flattened tensor
/// (`naxes` -1).
@c(gs_argmax)
public func gsArgmax(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.argmax, "gs_argmax", a, axes, naxes, keepdims, result)
}

/// Index of the first minimum (int64) along `axes[0]` (`naxes` 1), or into the flattened tensor
/// (`naxes` -1).
@c(gs_argmin)
public func gsArgmin(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    reduceCall(.argmin, "gs_argmin", a, axes, naxes, keepdims, result)
}

// MARK: Helpers

/// Runs the function `op` of two tensors on two tensor handles.
@inline(__always)
private func binaryCall(_ name: String, _ op: (Tensor, Tensor) throws -> Tensor, _ a: gs_tensor, _ b: gs_tensor,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing(name, result) { try op(try tensor(a, name, "a"), try tensor(b, name, "b")) }
}

/// Runs the function `op` of one tensor on a tensor handle.
@inline(__always)
private func unaryCall(_ name: String, _ op: (Tensor) throws -> Tensor, _ a: gs_tensor,
                       _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing(name, result) { try op(try tensor(a, name, "a")) }
}

/// Runs a reduction on a tensor handle over an axis list (`naxes` -1: every axis).
@inline(__always)
private func reduceCall(_ op: ReduceOp, _ name: String, _ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32,
                        _ keepdims: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing(name, result) {
        try Ops.reduce(op, try tensor(a, name, "a"), axes: try readAxes(axes, naxes, name), keepDims: keepdims)
    }
}

/// Validates a gs_binary_op code.
private func binaryOp(_ code: Int32, _ op: String) throws -> BinaryOp {
    guard let value = BinaryOp(rawValue: code) else { throw CallError.invalid("\(op): unknown binary op code \(code)") }
    return value
}

/// Validates a gs_scalar_kind code.
private func decodeScalarKind(_ code: Int32, _ op: String) throws -> ScalarKind {
    guard let value = ScalarKind(rawValue: code) else {
        throw CallError.invalid("\(op): unknown scalar kind \(code) (1 float, 2 int, 3 bool)")
    }
    return value
}

/// Binary op codes for gs_binary_scalar, gs_inplace and gs_inplace_scalar.
@c public enum gs_binary_op: Int32 {
    /// a + b
    case add = 0
    /// a - b
    case sub = 1
    /// a * b
    case mul = 2
    /// a / b (true division)
    case div = 3
    /// a ** b
    case pow = 4
    /// elementwise maximum
    case maximum = 5
    /// elementwise minimum
    case minimum = 6
    /// a == b
    case eq = 7
    /// a != b
    case ne = 8
    /// a < b
    case lt = 9
    /// a <= b
    case le = 10
    /// a > b
    case gt = 11
    /// a >= b
    case ge = 12
}

/// The kind of a scalar operand, which decides type promotion as for a Python number.
@c public enum gs_scalar_kind: Int32 {
    /// A float: turns int and bool tensors into float64, keeps float tensors' type.
    case float = 1
    /// An int: keeps int and float tensors' type, turns bool into int64.
    case int = 2
    /// A bool: never widens.
    case bool = 3
}
