import CHandles
import GradSwift

// Convolution and pooling: the functional ops and the constructors of their layers.

/// 1-D convolution of `x` (N, Cin, L) with `weight` (Cout, Cin, K), zero `padding` on both
/// sides, plus `bias` (any shape with Cout elements; 0 for none). The caller owns `*result`.
@c(gs_conv1d)
public func gsConv1d(_ x: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor, _ stride: Int64, _ padding: Int64,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_conv1d", result) {
        let op = "gs_conv1d"
        return try Ops.conv1d(try tensor(x, op, "x"), try tensor(weight, op, "weight"),
                              bias: try optionalTensor(bias, op, "bias"), stride: Int(stride), padding: Int(padding))
    }
}

/// 2-D convolution of `x` (N, Cin, H, W) with `weight` (Cout, Cin, KH, KW), the same `stride`
/// and zero `padding` on both axes, plus `bias` (Cout elements; 0 for none). The caller owns
/// `*result`.
@c(gs_conv2d)
public func gsConv2d(_ x: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor, _ stride: Int64, _ padding: Int64,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_conv2d", result) {
        let op = "gs_conv2d"
        return try Ops.conv2d(try tensor(x, op, "x"), try tensor(weight, op, "weight"),
                              bias: try optionalTensor(bias, op, "bias"), stride: Int(stride), padding: Int(padding))
    }
}

/// Max pooling of `x` (N, C, L) over windows of `kernel` elements; the padding counts as -inf
/// and must be at most kernel / 2. The caller owns `*result`.
@c(gs_max_pool1d)
public func gsMaxPool1d(_ x: gs_tensor, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_max_pool1d", result) {
        try Ops.maxPool1d(try tensor(x, "gs_max_pool1d", "x"), kernel: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// Max pooling of `x` (N, C, H, W) over `kernel` x `kernel` windows; the padding counts as
/// -inf and must be at most kernel / 2. The caller owns `*result`.
@c(gs_max_pool2d)
public func gsMaxPool2d(_ x: gs_tensor, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_max_pool2d", result) {
        try Ops.maxPool2d(try tensor(x, "gs_max_pool2d", "x"), kernel: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// Average pooling of `x` (N, C, L) over windows of `kernel` elements, dividing by `kernel`
/// (padded zeros included); padding at most kernel / 2. The caller owns `*result`.
@c(gs_avg_pool1d)
public func gsAvgPool1d(_ x: gs_tensor, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_avg_pool1d", result) {
        try Ops.avgPool1d(try tensor(x, "gs_avg_pool1d", "x"), kernel: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// Average pooling of `x` (N, C, H, W) over `kernel` x `kernel` windows, dividing by
/// kernel^2 (padded zeros included); padding at most kernel / 2. The caller owns `*result`.
@c(gs_avg_pool2d)
public func gsAvgPool2d(_ x: gs_tensor, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_avg_pool2d", result) {
        try Ops.avgPool2d(try tensor(x, "gs_avg_pool2d", "x"), kernel: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// A Conv1d layer (PyDyNet's): parameters "weight" (out, in, kernel) and, when `bias`, "bias"
/// (1, out, 1), initialised from the engine generator; `dtype` a float dtype code. The caller
/// owns `*result` (release with gs_module_release).
@c(gs_conv1d_new)
public func gsConv1dNew(_ inChannels: Int64, _ outChannels: Int64, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ bias: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_conv1d_new", result) {
        try Conv1d(inChannels: Int(inChannels), outChannels: Int(outChannels), kernelSize: Int(kernel), stride: Int(stride),
                   padding: Int(padding), bias: bias, dtype: try GradSwiftCABI.dtype(dtype, "gs_conv1d_new"))
    }
}

/// A Conv2d layer (PyDyNet's, square kernel): parameters "weight" (out, in, kernel, kernel)
/// and, when `bias`, "bias" (1, out, 1, 1); `dtype` a float dtype code. The caller owns
/// `*result` (release with gs_module_release).
@c(gs_conv2d_new)
public func gsConv2dNew(_ inChannels: Int64, _ outChannels: Int64, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                        _ bias: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_conv2d_new", result) {
        try Conv2d(inChannels: Int(inChannels), outChannels: Int(outChannels), kernelSize: Int(kernel), stride: Int(stride),
                   padding: Int(padding), bias: bias, dtype: try GradSwiftCABI.dtype(dtype, "gs_conv2d_new"))
    }
}

/// A MaxPool1d layer (kernel and stride >= 1, 0 <= padding <= kernel / 2). The caller owns
/// `*result` (release with gs_module_release).
@c(gs_max_pool1d_new)
public func gsMaxPool1dNew(_ kernel: Int64, _ stride: Int64, _ padding: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_max_pool1d_new", result) {
        try Pool(.max, dimensions: 1, kernelSize: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// A MaxPool2d layer (kernel and stride >= 1, 0 <= padding <= kernel / 2). The caller owns
/// `*result` (release with gs_module_release).
@c(gs_max_pool2d_new)
public func gsMaxPool2dNew(_ kernel: Int64, _ stride: Int64, _ padding: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_max_pool2d_new", result) {
        try Pool(.max, dimensions: 2, kernelSize: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// An AvgPool1d layer (kernel and stride >= 1, 0 <= padding <= kernel / 2). The caller owns
/// `*result` (release with gs_module_release).
@c(gs_avg_pool1d_new)
public func gsAvgPool1dNew(_ kernel: Int64, _ stride: Int64, _ padding: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_avg_pool1d_new", result) {
        try Pool(.average, dimensions: 1, kernelSize: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}

/// An AvgPool2d layer (kernel and stride >= 1, 0 <= padding <= kernel / 2). The caller owns
/// `*result` (release with gs_module_release).
@c(gs_avg_pool2d_new)
public func gsAvgPool2dNew(_ kernel: Int64, _ stride: Int64, _ padding: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_avg_pool2d_new", result) {
        try Pool(.average, dimensions: 2, kernelSize: Int(kernel), stride: Int(stride), padding: Int(padding))
    }
}
