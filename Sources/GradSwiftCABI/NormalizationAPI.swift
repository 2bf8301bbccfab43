import CHandles
import GradSwift

// Normalization: the functional ops (layer, batch, RMS, group and instance norm) and the
// constructors of the BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm, GroupNorm and
// InstanceNorm1d/2d modules. Optional tensors are passed
// as handle 0.


/// PyTorch's layer_norm: normalizes each sample of `x` over its trailing `ndim` dims, which
/// must equal `normalized_shape`, then applies `weight` and `bias` (handles of tensors of that
/// shape and x's dtype, or 0 for none). Differentiable in x, weight and bias. The caller owns
/// `*result`.
@c(gs_layer_norm)
public func gsLayerNorm(_ x: gs_tensor, _ normalizedShape: UnsafePointer<Int64>?, _ ndim: Int32, _ weight: gs_tensor,
                        _ bias: gs_tensor, _ eps: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_layer_norm"
    return producing(op, result) {
        try Ops.layerNorm(try tensor(x, op, "x"), normalizedShape: try readInts(normalizedShape, ndim, op, "normalized_shape"),
                          weight: try optionalTensor(weight, op, "weight"), bias: try optionalTensor(bias, op, "bias"),
                          eps: eps)
    }
}

/// PyTorch's rms_norm: x / sqrt(mean(x^2) + eps) * weight, the mean over the trailing `ndim`
/// dims of `x`, which must equal `normalized_shape`; `weight` is a tensor of that shape and
/// x's dtype, or 0 for none. Differentiable in x and weight. The caller owns `*result`.
@c(gs_rms_norm)
public func gsRmsNorm(_ x: gs_tensor, _ normalizedShape: UnsafePointer<Int64>?, _ ndim: Int32, _ weight: gs_tensor,
                      _ eps: Double, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_rms_norm"
    return producing(op, result) {
        try Ops.rmsNorm(try tensor(x, op, "x"), normalizedShape: try readInts(normalizedShape, ndim, op, "normalized_shape"),
                        weight: try optionalTensor(weight, op, "weight"), eps: eps)
    }
}

/// PyTorch's batch_norm for x of shape (N, C, ...), statistics per channel. In training the
/// batch statistics normalize x and `running_mean` / `running_var` (given together, or both
/// 0) are updated in place: running = (1 - momentum) * running + momentum * stat, with the
/// unbiased variance. In evaluation the running statistics (required) are used. Per-channel
/// tensors have shape (C,) or (1, C, 1, ...) and x's dtype; `weight` and `bias` may be 0.
/// Differentiable in x, weight and bias. The caller owns `*result`; the running tensors stay
/// the caller's.
@c(gs_batch_norm)
public func gsBatchNorm(_ x: gs_tensor, _ runningMean: gs_tensor, _ runningVar: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor,
                        _ training: Bool, _ momentum: Double, _ eps: Double,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_batch_norm"
    return producing(op, result) {
        try Ops.batchNorm(try tensor(x, op, "x"), runningMean: try optionalTensor(runningMean, op, "running_mean"),
                          runningVar: try optionalTensor(runningVar, op, "running_var"),
                          weight: try optionalTensor(weight, op, "weight"), bias: try optionalTensor(bias, op, "bias"),
                          training: training, momentum: momentum, eps: eps)
    }
}

/// A BatchNorm1d module (PyDyNet's) for (N, C) or (N, C, L) inputs with `num_features` = C
/// channels: parameters running_mean (zeros) and running_var (ones), not trainable, scale
/// (ones) and shift (zeros), each of shape (C,) and the given dtype. The caller owns `*result`.
@c(gs_batch_norm1d_new)
public func gsBatchNorm1dNew(_ numFeatures: Int64, _ eps: Double, _ momentum: Double, _ dtype: Int32,
                             _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_batch_norm1d_new"
    return producing(op, result) {
        try BatchNorm1d(numFeatures: Int(numFeatures), eps: eps, momentum: momentum, dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// A BatchNorm2d module (PyDyNet's) for (N, C, H, W) inputs with `num_features` = C channels:
/// as gs_batch_norm1d_new, with parameters of shape (1, C, 1, 1). The caller owns `*result`.
@c(gs_batch_norm2d_new)
public func gsBatchNorm2dNew(_ numFeatures: Int64, _ eps: Double, _ momentum: Double, _ dtype: Int32,
                             _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_batch_norm2d_new"
    return producing(op, result) {
        try BatchNorm2d(numFeatures: Int(numFeatures), eps: eps, momentum: momentum, dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// A LayerNorm module (PyTorch's semantics, PyDyNet's parameter names) normalizing over the
/// trailing dims `normalized_shape[0..<ndim]`: parameters scale (ones) and shift (zeros) of
/// that shape and the given dtype. The caller owns `*result`.
@c(gs_layer_norm_new)
public func gsLayerNormNew(_ normalizedShape: UnsafePointer<Int64>?, _ ndim: Int32, _ eps: Double, _ dtype: Int32,
                           _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_layer_norm_new"
    return producing(op, result) {
        try LayerNorm(normalizedShape: try readInts(normalizedShape, ndim, op, "normalized_shape"), eps: eps,
                      dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// An RMSNorm module normalizing over the trailing dims `normalized_shape[0..<ndim]`:
/// parameter weight (ones) of that shape and the given dtype. The caller owns `*result`.
@c(gs_rms_norm_new)
public func gsRmsNormNew(_ normalizedShape: UnsafePointer<Int64>?, _ ndim: Int32, _ eps: Double, _ dtype: Int32,
                         _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_rms_norm_new"
    return producing(op, result) {
        try RMSNorm(normalizedShape: try readInts(normalizedShape, ndim, op, "normalized_shape"), eps: eps,
                    dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// PyTorch's group_norm for x of shape (N, C, ...): the C channels split into `groups` groups
/// (C divisible by it), each sample's group normalized over its channels and positions, then
/// `* weight + bias` per channel (handles of (C,) tensors, or 0 for none). Differentiable in x,
/// weight and bias. The caller owns `*result`.
@c(gs_group_norm)
public func gsGroupNorm(_ x: gs_tensor, _ groups: Int64, _ weight: gs_tensor, _ bias: gs_tensor, _ eps: Double,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_group_norm"
    return producing(op, result) {
        try Ops.groupNorm(try tensor(x, op, "x"), groups: Int(groups), weight: try optionalTensor(weight, op, "weight"),
                          bias: try optionalTensor(bias, op, "bias"), eps: eps)
    }
}

/// PyTorch's instance_norm for x of shape (N, C, L, ...): with `use_input_stats` each sample's
/// channel is normalized over its positions and `running_mean` / `running_var` (given
/// together, or both 0) are updated in place with the batch average of the instances' mean and
/// unbiased variance; without, the running statistics (required) normalize. Then `* weight +
/// bias` per channel ((C,) tensors, or 0). Differentiable in x, weight and bias. The caller
/// owns `*result`.
@c(gs_instance_norm)
public func gsInstanceNorm(_ x: gs_tensor, _ runningMean: gs_tensor, _ runningVar: gs_tensor, _ weight: gs_tensor,
                           _ bias: gs_tensor, _ useInputStats: Bool, _ momentum: Double, _ eps: Double,
                           _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_instance_norm"
    return producing(op, result) {
        try Ops.instanceNorm(try tensor(x, op, "x"), runningMean: try optionalTensor(runningMean, op, "running_mean"),
                             runningVar: try optionalTensor(runningVar, op, "running_var"),
                             weight: try optionalTensor(weight, op, "weight"), bias: try optionalTensor(bias, op, "bias"),
                             useInputStatistics: useInputStats, momentum: momentum, eps: eps)
    }
}

/// A GroupNorm module (PyTorch's) splitting `num_channels` channels into `num_groups` groups;
/// with `affine`, parameters weight (ones) and bias (zeros) of shape (C,) and the given dtype.
/// The caller owns `*result`.
@c(gs_group_norm_new)
public func gsGroupNormNew(_ numGroups: Int64, _ numChannels: Int64, _ eps: Double, _ affine: Bool, _ dtype: Int32,
                           _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_group_norm_new"
    return producing(op, result) {
        try GroupNorm(numGroups: Int(numGroups), numChannels: Int(numChannels), eps: eps, affine: affine,
                      dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}

/// An InstanceNorm1d (`spatial_dims` 1, inputs (N, C, L) or (C, L)) or InstanceNorm2d (2,
/// inputs (N, C, H, W) or (C, H, W)) module (PyTorch's) for `num_features` channels: with
/// `affine`, weight (ones) and bias (zeros); with `track_running_stats`, buffers running_mean
/// (zeros) and running_var (ones) updated in training and used in evaluation. The caller owns
/// `*result`.
@c(gs_instance_norm_new)
public func gsInstanceNormNew(_ spatialDims: Int64, _ numFeatures: Int64, _ eps: Double, _ momentum: Double, _ affine: Bool,
                              _ trackRunningStats: Bool, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_instance_norm_new"
    return producing(op, result) {
        try InstanceNorm(spatialDims: Int(spatialDims), numFeatures: Int(numFeatures), eps: eps, momentum: momentum,
                         affine: affine, trackRunningStats: trackRunningStats, dtype: try GradSwiftCABI.dtype(dtype, op))
    }
}
