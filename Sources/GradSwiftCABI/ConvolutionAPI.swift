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

/// An adaptive output size from C: -1 keeps the input's size (`nil`); other values pass
/// through and are checked by the engine.
private func adaptiveSize(_ size: Int64) -> Int? { size == -1 ? nil : Int(size) }

/// PyTorch's adaptive_max_pool1d of `x` (N, C, L) or (C, L) to `size` windows (-1: L), window
/// i covering floor(i*L/size) ..< ceil((i+1)*L/size). The caller owns `*result`.
@c(gs_adaptive_max_pool1d)
public func gsAdaptiveMaxPool1d(_ x: gs_tensor, _ size: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_adaptive_max_pool1d", result) {
        try Ops.adaptiveMaxPool1d(try tensor(x, "gs_adaptive_max_pool1d", "x"), outputSize: adaptiveSize(size))
    }
}

/// PyTorch's adaptive_max_pool2d of `x` (N, C, H, W) or (C, H, W) to `height` x `width`
/// windows (-1 keeps that size). The caller owns `*result`.
@c(gs_adaptive_max_pool2d)
public func gsAdaptiveMaxPool2d(_ x: gs_tensor, _ height: Int64, _ width: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_adaptive_max_pool2d", result) {
        try Ops.adaptiveMaxPool2d(try tensor(x, "gs_adaptive_max_pool2d", "x"), outputSize: (adaptiveSize(height), adaptiveSize(width)))
    }
}

/// PyTorch's adaptive_avg_pool1d of `x` (N, C, L) or (C, L) to `size` windows (-1: L), window
/// i covering floor(i*L/size) ..< ceil((i+1)*L/size). The caller owns `*result`.
@c(gs_adaptive_avg_pool1d)
public func gsAdaptiveAvgPool1d(_ x: gs_tensor, _ size: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_adaptive_avg_pool1d", result) {
        try Ops.adaptiveAvgPool1d(try tensor(x, "gs_adaptive_avg_pool1d", "x"), outputSize: adaptiveSize(size))
    }
}

/// PyTorch's adaptive_avg_pool2d of `x` (N, C, H, W) or (C, H, W) to `height` x `width`
/// windows (-1 keeps that size). The caller owns `*result`.
@c(gs_adaptive_avg_pool2d)
public func gsAdaptiveAvgPool2d(_ x: gs_tensor, _ height: Int64, _ width: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_adaptive_avg_pool2d", result) {
        try Ops.adaptiveAvgPool2d(try tensor(x, "gs_adaptive_avg_pool2d", "x"), outputSize: (adaptiveSize(height), adaptiveSize(width)))
    }
}

/// An AdaptiveMaxPool1d layer pooling to `size` windows (-1 keeps the input's size). The
/// caller owns `*result` (release with gs_module_release).
@c(gs_adaptive_max_pool1d_new)
public func gsAdaptiveMaxPool1dNew(_ size: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_adaptive_max_pool1d_new", result) { try AdaptivePool(.max, outputSize: [adaptiveSize(size)]) }
}

/// An AdaptiveMaxPool2d layer pooling to `height` x `width` windows (-1 keeps that size). The
/// caller owns `*result` (release with gs_module_release).
@c(gs_adaptive_max_pool2d_new)
public func gsAdaptiveMaxPool2dNew(_ height: Int64, _ width: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_adaptive_max_pool2d_new", result) {
        try AdaptivePool(.max, outputSize: [adaptiveSize(height), adaptiveSize(width)])
    }
}

/// An AdaptiveAvgPool1d layer pooling to `size` windows (-1 keeps the input's size). The
/// caller owns `*result` (release with gs_module_release).
@c(gs_adaptive_avg_pool1d_new)
public func gsAdaptiveAvgPool1dNew(_ size: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_adaptive_avg_pool1d_new", result) { try AdaptivePool(.average, outputSize: [adaptiveSize(size)]) }
}

/// An AdaptiveAvgPool2d layer pooling to `height` x `width` windows (-1 keeps that size). The
/// caller owns `*result` (release with gs_module_release).
@c(gs_adaptive_avg_pool2d_new)
public func gsAdaptiveAvgPool2dNew(_ height: Int64, _ width: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_adaptive_avg_pool2d_new", result) {
        try AdaptivePool(.average, outputSize: [adaptiveSize(height), adaptiveSize(width)])
    }
}

/// PyTorch's conv_transpose1d of `x` (N, Cin, L) with `weight` (Cin, Cout, K): length
/// (L - 1) * stride - 2 * padding + K + output_padding (0 <= output_padding < stride), plus
/// `bias` (Cout elements; 0 for none). The input gradient of gs_conv1d, differentiable to any
/// order. The caller owns `*result`.
@c(gs_conv_transpose1d)
public func gsConvTranspose1d(_ x: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor, _ stride: Int64, _ padding: Int64,
                              _ outputPadding: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_conv_transpose1d"
    return producing(op, result) {
        try Ops.convTranspose1d(try tensor(x, op, "x"), try tensor(weight, op, "weight"), bias: try optionalTensor(bias, op, "bias"),
                                stride: Int(stride), padding: Int(padding), outputPadding: Int(outputPadding))
    }
}

/// PyTorch's conv_transpose2d of `x` (N, Cin, H, W) with `weight` (Cin, Cout, KH, KW): size
/// (H - 1) * stride_h - 2 * padding_h + KH + output_padding_h (likewise for W; each output
/// padding below its stride), plus `bias` (Cout elements; 0 for none). The input gradient of
/// gs_conv2d, differentiable to any order. The caller owns `*result`.
@c(gs_conv_transpose2d)
public func gsConvTranspose2d(_ x: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor, _ strideH: Int64, _ strideW: Int64,
                              _ paddingH: Int64, _ paddingW: Int64, _ outputPaddingH: Int64, _ outputPaddingW: Int64,
                              _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_conv_transpose2d"
    return producing(op, result) {
        try Ops.convTranspose2d(try tensor(x, op, "x"), try tensor(weight, op, "weight"), bias: try optionalTensor(bias, op, "bias"),
                                stride: (Int(strideH), Int(strideW)), padding: (Int(paddingH), Int(paddingW)),
                                outputPadding: (Int(outputPaddingH), Int(outputPaddingW)))
    }
}

/// A ConvTranspose1d layer (PyTorch's): parameters "weight" (in, out, kernel) and, when
/// `bias`, "bias" (out), initialised as PyTorch does; `dtype` a float dtype code. The caller
/// owns `*result` (release with gs_module_release).
@c(gs_conv_transpose1d_new)
public func gsConvTranspose1dNew(_ inChannels: Int64, _ outChannels: Int64, _ kernel: Int64, _ stride: Int64, _ padding: Int64,
                                 _ outputPadding: Int64, _ bias: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_conv_transpose1d_new", result) {
        try ConvTranspose(inChannels: Int(inChannels), outChannels: Int(outChannels), kernelSize: [Int(kernel)],
                          stride: [Int(stride)], padding: [Int(padding)], outputPadding: [Int(outputPadding)], bias: bias,
                          dtype: try GradSwiftCABI.dtype(dtype, "gs_conv_transpose1d_new"))
    }
}

/// A ConvTranspose2d layer (PyTorch's): parameters "weight" (in, out, kernel_h, kernel_w) and,
/// when `bias`, "bias" (out), initialised as PyTorch does; `dtype` a float dtype code. The
/// caller owns `*result` (release with gs_module_release).
@c(gs_conv_transpose2d_new)
public func gsConvTranspose2dNew(_ inChannels: Int64, _ outChannels: Int64, _ kernelH: Int64, _ kernelW: Int64,
                                 _ strideH: Int64, _ strideW: Int64, _ paddingH: Int64, _ paddingW: Int64,
                                 _ outputPaddingH: Int64, _ outputPaddingW: Int64, _ bias: Bool, _ dtype: Int32,
                                 _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_conv_transpose2d_new", result) {
        try ConvTranspose(inChannels: Int(inChannels), outChannels: Int(outChannels), kernelSize: [Int(kernelH), Int(kernelW)],
                          stride: [Int(strideH), Int(strideW)], padding: [Int(paddingH), Int(paddingW)],
                          outputPadding: [Int(outputPaddingH), Int(outputPaddingW)], bias: bias,
                          dtype: try GradSwiftCABI.dtype(dtype, "gs_conv_transpose2d_new"))
    }
}
