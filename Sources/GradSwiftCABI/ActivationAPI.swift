import CHandles
import GradSwift

// Activations, softmax and the activation layers. Gradients at the kinks follow PyTorch:
// relu'(0) = 0 and leaky_relu'(0) = slope.

/// max(a, 0) elementwise; int64 and bool tensors keep their type. The caller owns `*result`.
@c(gs_relu)
public func gsRelu(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_relu", result) { try Ops.relu(try tensor(a, "gs_relu", "a")) }
}

/// a for a > 0, slope * a otherwise (ints give float64). The caller owns `*result`.
@c(gs_leaky_relu)
public func gsLeakyRelu(_ a: gs_tensor, _ slope: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_leaky_relu", result) { try Ops.leakyRelu(try tensor(a, "gs_leaky_relu", "a"), slope: slope) }
}

/// a * sigmoid(a) elementwise (ints give float64). The caller owns `*result`.
@c(gs_silu)
public func gsSilu(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_silu", result) { try Ops.silu(try tensor(a, "gs_silu", "a")) }
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

// MARK: Helpers

/// An axis as an Int, rejecting values no tensor rank can reach.
private func softmaxAxis(_ axis: Int64, _ op: String) throws -> Int {
    guard axis >= -Int64(Shape.maxRank) && axis <= Int64(Shape.maxRank) else {
        throw CallError.invalid("\(op): axis \(axis) is out of bounds for any array (at most \(Shape.maxRank) dimensions)")
    }
    return Int(axis)
}
