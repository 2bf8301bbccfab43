import CHandles
import GradSwift

// Activations, softmax and the activation layers. Gradients at the kinks follow PyTorch:
// relu'(0) = 0 and leaky_relu'(0) = slope.

/// max(a, 0) elementwise; int64 and bool tensors keep their type. The caller owns `*result`.
@c(gs_relu)
public func gsRelu(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_relu", result) { try Ops.relu(try tensor(a, "gs_relu", "a")) }
}

/// a for a > 0, slope * a otherwise (ints give NumPy's float type). The caller owns `*result`.
@c(gs_leaky_relu)
public func gsLeakyRelu(_ a: gs_tensor, _ slope: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_leaky_relu", result) { try Ops.leakyRelu(try tensor(a, "gs_leaky_relu", "a"), slope: slope) }
}

/// a * sigmoid(a) elementwise (ints give NumPy's float type). The caller owns `*result`.
@c(gs_silu)
public func gsSilu(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_silu", result) { try Ops.silu(try tensor(a, "gs_silu", "a")) }
}

/// x * Phi(x), Phi the standard normal distribution function, or with `approximate_tanh` the
/// tanh approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) (ints give NumPy's float type). The
/// caller owns `*result`.
@c(gs_gelu)
public func gsGelu(_ a: gs_tensor, _ approximateTanh: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_gelu", result) { try Ops.gelu(try tensor(a, "gs_gelu", "a"), approximateTanh: approximateTanh) }
}

/// a for a > 0, alpha * (e^a - 1) otherwise (ints give NumPy's float type). The caller owns `*result`.
@c(gs_elu)
public func gsElu(_ a: gs_tensor, _ alpha: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_elu", result) { try Ops.elu(try tensor(a, "gs_elu", "a"), alpha: alpha) }
}

/// scale * elu(a, alpha) with SELU's constants (ints give NumPy's float type). The caller owns `*result`.
@c(gs_selu)
public func gsSelu(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_selu", result) { try Ops.selu(try tensor(a, "gs_selu", "a")) }
}

/// a for a > 0, alpha * (e^(a/alpha) - 1) otherwise; alpha must not be 0 (ints give NumPy's float type).
/// The caller owns `*result`.
@c(gs_celu)
public func gsCelu(_ a: gs_tensor, _ alpha: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_celu", result) { try Ops.celu(try tensor(a, "gs_celu", "a"), alpha: alpha) }
}

/// ln(1 + e^(beta a)) / beta, and a itself where beta * a > threshold; beta must not be 0 (ints
/// give NumPy's float type). The caller owns `*result`.
@c(gs_softplus)
public func gsSoftplus(_ a: gs_tensor, _ beta: Double, _ threshold: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_softplus", result) { try Ops.softplus(try tensor(a, "gs_softplus", "a"), beta: beta, threshold: threshold) }
}

/// a * tanh(softplus(a)) (ints give NumPy's float type). The caller owns `*result`.
@c(gs_mish)
public func gsMish(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_mish", result) { try Ops.mish(try tensor(a, "gs_mish", "a")) }
}

/// a limited to [min_val, max_val] (min_val <= max_val), with a zero gradient at and beyond the
/// bounds (ints give NumPy's float type). The caller owns `*result`.
@c(gs_hardtanh)
public func gsHardtanh(_ a: gs_tensor, _ minVal: Double, _ maxVal: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_hardtanh", result) { try Ops.hardtanh(try tensor(a, "gs_hardtanh", "a"), min: minVal, max: maxVal) }
}

/// min(max(a, 0), 6) (ints give NumPy's float type). The caller owns `*result`.
@c(gs_relu6)
public func gsRelu6(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_relu6", result) { try Ops.relu6(try tensor(a, "gs_relu6", "a")) }
}

/// relu6(a + 3) / 6 (ints give NumPy's float type). The caller owns `*result`.
@c(gs_hardsigmoid)
public func gsHardsigmoid(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_hardsigmoid", result) { try Ops.hardsigmoid(try tensor(a, "gs_hardsigmoid", "a")) }
}

/// a * relu6(a + 3) / 6 (ints give NumPy's float type). The caller owns `*result`.
@c(gs_hardswish)
public func gsHardswish(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_hardswish", result) { try Ops.hardswish(try tensor(a, "gs_hardswish", "a")) }
}

/// ln(sigmoid(a)), without overflow (ints give NumPy's float type). The caller owns `*result`.
@c(gs_logsigmoid)
public func gsLogsigmoid(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_logsigmoid", result) { try Ops.logsigmoid(try tensor(a, "gs_logsigmoid", "a")) }
}

/// Softmax of `a` along `axis` (negative counts from the end), or over every element when
/// `all_axes` (then `axis` is ignored); same shape as `a`, ints give float64. The caller owns
/// `*result`.
@c(gs_softmax)
public func gsSoftmax(_ a: gs_tensor, _ axis: Int64, _ allAxes: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_softmax", result) {
        try Ops.softmax(try tensor(a, "gs_softmax", "a"), axis: allAxes ? nil : try softmaxAxis(axis, "gs_softmax"))
    }
}

/// Log-softmax of `a` along `axis`, or over every element when `all_axes` (as gs_softmax).
/// The caller owns `*result`.
@c(gs_log_softmax)
public func gsLogSoftmax(_ a: gs_tensor, _ axis: Int64, _ allAxes: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_log_softmax", result) {
        try Ops.logSoftmax(try tensor(a, "gs_log_softmax", "a"), axis: allAxes ? nil : try softmaxAxis(axis, "gs_log_softmax"))
    }
}

// MARK: Layers (run them with gs_module_forward, release them with gs_module_release)

/// A Sigmoid layer. The caller owns `*result`.
@c(gs_sigmoid_new)
public func gsSigmoidNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_sigmoid_new", result) { Sigmoid() }
}

/// A Tanh layer. The caller owns `*result`.
@c(gs_tanh_new)
public func gsTanhNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_tanh_new", result) { Tanh() }
}

/// A ReLU layer. The caller owns `*result`.
@c(gs_relu_new)
public func gsReluNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_relu_new", result) { ReLU() }
}

/// A LeakyReLU layer with negative slope `alpha`. The caller owns `*result`.
@c(gs_leaky_relu_new)
public func gsLeakyReluNew(_ alpha: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_leaky_relu_new", result) { LeakyReLU(alpha: alpha) }
}

/// A Softmax layer along `axis`, or over every element when `all_axes`; the axis is checked
/// against the input's rank at forward time. The caller owns `*result`.
@c(gs_softmax_new)
public func gsSoftmaxNew(_ axis: Int64, _ allAxes: Bool, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_softmax_new", result) { Softmax(axis: allAxes ? nil : try softmaxAxis(axis, "gs_softmax_new")) }
}

/// A GELU layer (exact, or the tanh approximation when `approximate_tanh`). The caller owns `*result`.
@c(gs_gelu_new)
public func gsGeluNew(_ approximateTanh: Bool, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_gelu_new", result) { ElementwiseActivation.gelu(approximateTanh: approximateTanh) }
}

/// An ELU layer. The caller owns `*result`.
@c(gs_elu_new)
public func gsEluNew(_ alpha: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_elu_new", result) { ElementwiseActivation.elu(alpha: alpha) }
}

/// A SELU layer. The caller owns `*result`.
@c(gs_selu_new)
public func gsSeluNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_selu_new", result) { ElementwiseActivation.selu() }
}

/// A CELU layer (alpha must not be 0). The caller owns `*result`.
@c(gs_celu_new)
public func gsCeluNew(_ alpha: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_celu_new", result) { try ElementwiseActivation.celu(alpha: alpha) }
}

/// A Softplus layer (beta must not be 0). The caller owns `*result`.
@c(gs_softplus_new)
public func gsSoftplusNew(_ beta: Double, _ threshold: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_softplus_new", result) { try ElementwiseActivation.softplus(beta: beta, threshold: threshold) }
}

/// A Mish layer. The caller owns `*result`.
@c(gs_mish_new)
public func gsMishNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_mish_new", result) { ElementwiseActivation.mish() }
}

/// A Hardtanh layer (min_val <= max_val). The caller owns `*result`.
@c(gs_hardtanh_new)
public func gsHardtanhNew(_ minVal: Double, _ maxVal: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_hardtanh_new", result) { try ElementwiseActivation.hardtanh(min: minVal, max: maxVal) }
}

/// A ReLU6 layer. The caller owns `*result`.
@c(gs_relu6_new)
public func gsRelu6New(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_relu6_new", result) { ElementwiseActivation.relu6() }
}

/// A Hardsigmoid layer. The caller owns `*result`.
@c(gs_hardsigmoid_new)
public func gsHardsigmoidNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_hardsigmoid_new", result) { ElementwiseActivation.hardsigmoid() }
}

/// A Hardswish layer. The caller owns `*result`.
@c(gs_hardswish_new)
public func gsHardswishNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_hardswish_new", result) { ElementwiseActivation.hardswish() }
}

/// A LogSigmoid layer. The caller owns `*result`.
@c(gs_logsigmoid_new)
public func gsLogsigmoidNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_logsigmoid_new", result) { ElementwiseActivation.logsigmoid() }
}

/// A SiLU layer. The caller owns `*result`.
@c(gs_silu_new)
public func gsSiluNew(_ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_silu_new", result) { ElementwiseActivation.silu() }
}

// MARK: Helpers

/// An axis as an Int, rejecting values no tensor rank can reach.
private func softmaxAxis(_ axis: Int64, _ op: String) throws -> Int {
    guard axis >= -Int64(Shape.maxRank) && axis <= Int64(Shape.maxRank) else {
        throw CallError.invalid("\(op): axis \(axis) is out of bounds for any array (at most \(Shape.maxRank) dimensions)")
    }
    return Int(axis)
}
