import CHandles
import GradSwift

// Linear, embedding and dropout: the functional ops and the layer constructors.

/// `x @ weight + bias` with weight (in, out), x (..., in) and result (..., out), in one fused
/// op; `bias` is a tensor of out values ((out,) or (1, out)) or 0 for none. x, weight and bias
/// share one float dtype. The caller owns `*result`.
@c(gs_linear)
public func gsLinear(_ x: gs_tensor, _ weight: gs_tensor, _ bias: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_linear", result) {
        let op = "gs_linear"
        let b = try optionalTensor(bias, op, "bias")
        return try Ops.linear(try tensor(x, op, "x"), weight: try tensor(weight, op, "weight"), bias: b)
    }
}

/// Rows of `weight` (num, dim) picked by the int64 `indices`: shape indices.shape + (dim,).
/// With `has_padding`, row `padding_idx` (negative counts from the end) gets no gradient.
/// An index outside 0..num-1 is GS_INDEX_ERROR. The caller owns `*result`.
@c(gs_embedding)
public func gsEmbedding(_ indices: gs_tensor, _ weight: gs_tensor, _ paddingIdx: Int64, _ hasPadding: Bool,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_embedding", result) {
        let op = "gs_embedding"
        return try Ops.embedding(try tensor(indices, op, "indices"), weight: try tensor(weight, op, "weight"),
                                 paddingIndex: hasPadding ? Int(paddingIdx) : nil)
    }
}

/// Inverted dropout of the float tensor `x`: when `training`, each element is zeroed with
/// probability `p` (0 <= p <= 1) from the engine generator and the others scaled by 1/(1-p);
/// otherwise a new handle to `x` itself. The caller owns `*result`.
@c(gs_dropout)
public func gsDropout(_ x: gs_tensor, _ p: Double, _ training: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_dropout", result) {
        try Ops.dropout(try tensor(x, "gs_dropout", "x"), p: p, training: training)
    }
}

/// PyTorch's dropout1d (`spatial_dims` 1: x of shape (N, C, L) or (C, L)) and dropout2d (2:
/// (N, C, H, W) or (C, H, W)): when `training`, each channel is zeroed whole with probability
/// `p` and the others scaled by 1/(1-p); otherwise a new handle to `x` itself. The caller owns
/// `*result`.
@c(gs_channel_dropout)
public func gsChannelDropout(_ x: gs_tensor, _ p: Double, _ training: Bool, _ spatialDims: Int64,
                             _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_channel_dropout", result) {
        try Ops.channelDropout(try tensor(x, "gs_channel_dropout", "x"), p: p, training: training, spatialDims: Int(spatialDims))
    }
}

/// A Linear layer (PyDyNet's layout): parameters "weight" (in, out), Kaiming-uniform
/// initialised, and "bias" (out,) when `bias`; `dtype` is float16, float32 or float64. The
/// caller owns `*result` (a module handle).
@c(gs_linear_new)
public func gsLinearNew(_ inFeatures: Int64, _ outFeatures: Int64, _ bias: Bool, _ dtype: Int32,
                        _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_linear_new", result) {
        try Linear(inFeatures: Int(inFeatures), outFeatures: Int(outFeatures), bias: bias,
                   dtype: try GradSwiftCABI.dtype(dtype, "gs_linear_new"))
    }
}

/// An Embedding layer: parameter "weight" (num, dim) of N(0, 1) samples, the row `padding_idx`
/// (when `has_padding`; negative counts from the end) zeroed and left without gradient.
/// The caller owns `*result` (a module handle).
@c(gs_embedding_new)
public func gsEmbeddingNew(_ num: Int64, _ dim: Int64, _ paddingIdx: Int64, _ hasPadding: Bool, _ dtype: Int32,
                           _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_embedding_new", result) {
        try Embedding(numEmbeddings: Int(num), embeddingDim: Int(dim), paddingIndex: hasPadding ? Int(paddingIdx) : nil,
                      dtype: try GradSwiftCABI.dtype(dtype, "gs_embedding_new"))
    }
}

/// A Dropout layer with probability `p` (0 <= p <= 1): active in training mode, the identity
/// in evaluation mode (gs_module_train). The caller owns `*result` (a module handle).
@c(gs_dropout_new)
public func gsDropoutNew(_ p: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_dropout_new", result) { try Dropout(p: p) }
}

/// A Dropout1d (`spatial_dims` 1) or Dropout2d (2) layer with probability `p` (0 <= p <= 1),
/// zeroing whole channels in training mode; the identity in evaluation mode. The caller owns
/// `*result` (a module handle).
@c(gs_channel_dropout_new)
public func gsChannelDropoutNew(_ p: Double, _ spatialDims: Int64, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_channel_dropout_new", result) {
        guard spatialDims == 1 || spatialDims == 2 else {
            throw CallError.invalid("gs_channel_dropout_new: spatial_dims must be 1 or 2, got \(spatialDims)")
        }
        return try Dropout(p: p, spatialDims: Int(spatialDims))
    }
}
