import CHandles
import GradSwift

// Attention: PyTorch's scaled_dot_product_attention and the multi-head attention forward of
// nn.MultiheadAttention, each one call. Optional tensors are passed as handle 0.

/// PyTorch's scaled_dot_product_attention: softmax(query keyᵀ · scale + mask) value over the
/// last two dims of query (..., L, E), key (..., S, E) and value (..., S, Ev), leading dims
/// broadcast. `attn_mask` (0 for none) is bool (true takes part) or float (added to the scores);
/// `is_causal` keeps positions j <= i (no mask then); `scale` NaN means 1/sqrt(E); weights are
/// dropped with probability `dropout_p`. Differentiable in query, key, value and a float mask.
/// The caller owns `*result`.
@c(gs_scaled_dot_product_attention)
public func gsScaledDotProductAttention(_ query: gs_tensor, _ key: gs_tensor, _ value: gs_tensor, _ attnMask: gs_tensor,
                                        _ dropoutP: Double, _ isCausal: Bool, _ scale: Double,
                                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_scaled_dot_product_attention"
    return producing(op, result) {
        try Ops.scaledDotProductAttention(try tensor(query, op, "query"), try tensor(key, op, "key"), try tensor(value, op, "value"),
                                          mask: try optionalTensor(attnMask, op, "attn_mask"), dropoutP: dropoutP,
                                          training: true, isCausal: isCausal, scale: scale.isNaN ? nil : scale).output
    }
}

/// PyTorch's multi-head attention forward (nn.MultiheadAttention): query (L, N, E), key and
/// value (S, N, E) — (N, L, E), (N, S, E) when `batch_first`, or unbatched (L, E), (S, E) —
/// with `num_heads` heads, packed `in_proj_weight` (3E, E) in PyTorch's layout and
/// `out_proj_weight` (E, E) in gradswift's Linear layout (in, out); biases (3E) and (E) or 0.
/// `key_padding_mask` (N, S) and `attn_mask` (L, S) or (N·heads, L, S) leave out positions
/// where true (bool) or are added (float); 0 for none. `is_causal` requires `attn_mask`.
/// Dropout on the weights applies when `training`. Writes the output to `*result` and, with
/// `need_weights`, the weights ((N, L, S) averaged over heads when `average_attn_weights`, else
/// (N, heads, L, S)) to `*weights`, else 0 there. The caller owns both.
@c(gs_multi_head_attention)
public func gsMultiHeadAttention(_ query: gs_tensor, _ key: gs_tensor, _ value: gs_tensor, _ numHeads: Int64,
                                 _ inProjWeight: gs_tensor, _ inProjBias: gs_tensor, _ outProjWeight: gs_tensor,
                                 _ outProjBias: gs_tensor, _ keyPaddingMask: gs_tensor, _ attnMask: gs_tensor,
                                 _ needWeights: Bool, _ averageAttnWeights: Bool, _ isCausal: Bool, _ dropoutP: Double,
                                 _ training: Bool, _ batchFirst: Bool, _ result: UnsafeMutablePointer<gs_tensor>?,
                                 _ weights: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    guarded("gs_multi_head_attention") {
        let op = "gs_multi_head_attention"
        guard let result else { throw CallError.null(op, "result") }
        guard let weights else { throw CallError.null(op, "weights") }
        let projections = Ops.MultiheadAttentionWeights(
            inProjWeight: try tensor(inProjWeight, op, "in_proj_weight"), inProjBias: try optionalTensor(inProjBias, op, "in_proj_bias"),
            outProjWeight: try tensor(outProjWeight, op, "out_proj_weight"), outProjBias: try optionalTensor(outProjBias, op, "out_proj_bias"))
        let attention = try Ops.multiheadAttention(
            try tensor(query, op, "query"), try tensor(key, op, "key"), try tensor(value, op, "value"), heads: Int(numHeads),
            projections, keyPaddingMask: try optionalTensor(keyPaddingMask, op, "key_padding_mask"),
            attnMask: try optionalTensor(attnMask, op, "attn_mask"), needWeights: needWeights,
            averageWeights: averageAttnWeights, isCausal: isCausal, dropoutP: dropoutP, training: training,
            batchFirst: batchFirst)
        result.pointee = Handles.shared.insert(attention.output)
        weights.pointee = attention.weights.map { Handles.shared.insert($0) } ?? gs_tensor(id: 0)
    }
}
