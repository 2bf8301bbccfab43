/// Attention, composed from matmul, softmax, masking and dropout, so the backward of every piece
/// (and its backward) comes with it: PyTorch's `scaled_dot_product_attention` and the
/// multi-head attention of `nn.MultiheadAttention`.
extension Ops {
    /// The outputs of an attention: the attended values and, when asked for, the weights.
    public struct Attention {
        /// The attended values.
        public let output: Tensor
        /// The attention weights (after dropout, as PyTorch returns them), or nil.
        public let weights: Tensor?
    }

    /// PyTorch's `scaled_dot_product_attention`: `softmax(q kᵀ · scale + mask) v` over the last
    /// two dims of query (..., L, E), key (..., S, E) and value (..., S, Ev), leading dims
    /// broadcast. A bool `mask` marks the positions that take part (true), a float one is added
    /// to the scores; `isCausal` lets position i attend to positions j <= i only (no mask then).
    /// `scale` defaults to 1/sqrt(E); `dropoutP` drops weights while training. A row with no
    /// position left gives NaN, as PyTorch.
    public static func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor?,
                                                 dropoutP: Double, training: Bool, isCausal: Bool,
                                                 scale: Double?) throws -> Attention {
        if halfOnly(query, key, value, mask) {
            let wide = try scaledDotProductAttention(single(query), single(key), single(value), mask: single(mask), dropoutP: dropoutP,
                                                     training: training, isCausal: isCausal, scale: scale)
            return Attention(output: try half(wide.output), weights: try wide.weights.map(half))
        }
        let op = "scaled_dot_product_attention"
        for (name, t) in [("query", query), ("key", key), ("value", value)] {
            guard t.rank >= 2 else {
                throw EngineError.invalidArgument("\(op): \(name) must have at least 2 dims (..., length, features), got shape \(describe(t.shape))")
            }
            guard t.dtype.isFloatingPoint else {
                throw EngineError.dtype("\(op): \(name) must be float16, float32 or float64, got \(t.dtype.name)")
            }
        }
        guard query.shape.last == key.shape.last else {
            throw EngineError.shapeMismatch("\(op): query and key must have the same last dim, got \(describe(query.shape)) and \(describe(key.shape))")
        }
        guard key.shape[key.rank - 2] == value.shape[value.rank - 2] else {
            throw EngineError.shapeMismatch("\(op): key and value must have the same length (dim -2), got \(describe(key.shape)) and \(describe(value.shape))")
        }
        guard dropoutP >= 0 && dropoutP <= 1 else {
            throw EngineError.invalidArgument("\(op): dropout_p has to be between 0 and 1, got \(dropoutP)")
        }
        guard !(isCausal && mask != nil) else {
            throw EngineError.invalidArgument("\(op): give either a mask or is_causal, not both")
        }
        let features = query.shape[query.rank - 1]
        let factor = scale ?? 1 / Double(max(features, 1)).squareRoot()
        guard factor.isFinite else { throw EngineError.invalidArgument("\(op): scale must be finite, got \(factor)") }
        var scores = try matmul(query, try swapAxes(key, -1, -2)) * factor
        let (length, sourceLength) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
        if isCausal {
            let allowed = try Tensor(shape: [length, sourceLength], dtype: .bool, op: op)
            let flags = allowed.pointer(Bool.self)
            for i in 0..<length { for j in 0..<sourceLength { flags[i * sourceLength + j] = j <= i } }
            scores = try masked(scores, allowed: allowed)
        } else if let mask {
            _ = try Shape.broadcast(mask.shape, scores.shape, op: op + " (mask against the scores)")
            scores = mask.dtype == .bool ? try masked(scores, allowed: mask) : try scores + cast(mask, to: scores.dtype)
        }
        var weights = try softmax(scores, axis: scores.rank - 1)
        if training && dropoutP > 0 { weights = try dropout(weights, p: dropoutP, training: true) }
        return Attention(output: try matmul(weights, value), weights: weights)
    }

    /// The scores where `allowed`, -inf elsewhere.
    private static func masked(_ scores: Tensor, allowed: Tensor) throws -> Tensor {
        try `where`(allowed, scores, try Tensor.scalar(-.infinity, dtype: scores.dtype))
    }

    /// The projections and options of a multi-head attention (PyTorch's argument names).
    public struct MultiheadAttentionWeights {
        /// The packed query, key and value projections, (3E, E) in PyTorch's (out, in) layout.
        public let inProjWeight: Tensor
        /// Their biases (3E), or nil.
        public let inProjBias: Tensor?
        /// The output projection, (E, E) in the (in, out) layout of gradswift's Linear.
        public let outProjWeight: Tensor
        /// Its bias (E), or nil.
        public let outProjBias: Tensor?

        /// The four tensors of a multi-head attention.
        public init(inProjWeight: Tensor, inProjBias: Tensor?, outProjWeight: Tensor, outProjBias: Tensor?) {
            self.inProjWeight = inProjWeight
            self.inProjBias = inProjBias
            self.outProjWeight = outProjWeight
            self.outProjBias = outProjBias
        }
    }

    /// PyTorch's multi-head attention forward (`nn.MultiheadAttention`): query (L, N, E), key
    /// and value (S, N, E) — (N, L, E) and (N, S, E) when `batchFirst`, or unbatched (L, E) and
    /// (S, E) — projected, split into `heads` heads, attended and projected back to (L, N, E).
    /// Masks mark the positions to leave out: `keyPaddingMask` (N, S) or (S), `attnMask` (L, S)
    /// or (N·heads, L, S); bool ones leave out where true, float ones are added to the scores.
    /// `isCausal` is PyTorch's hint that `attnMask` is causal and requires it. With
    /// `needWeights` the weights come back (N, L, S) averaged over the heads, or (N, heads, L, S).
    public static func multiheadAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, heads: Int,
                                          _ projections: MultiheadAttentionWeights, keyPaddingMask: Tensor?,
                                          attnMask: Tensor?, needWeights: Bool, averageWeights: Bool, isCausal: Bool,
                                          dropoutP: Double, training: Bool, batchFirst: Bool) throws -> Attention {
        let op = "multi_head_attention"
        let batched = query.rank == 3
        guard (query.rank == 2 || batched) && key.rank == query.rank && value.rank == query.rank else {
            throw EngineError.invalidArgument("\(op): query, key and value must all be 3-D (batched) or 2-D (unbatched), got \(describe(query.shape)), \(describe(key.shape)) and \(describe(value.shape))")
        }
        let embed = query.shape[query.rank - 1]
        guard heads > 0 && embed % heads == 0 else {
            throw EngineError.invalidArgument("\(op): embed_dim \(embed) must be divisible by num_heads \(heads)")
        }
        guard key.shape.last == embed && value.shape.last == embed else {
            throw EngineError.shapeMismatch("\(op): key and value must have embed_dim \(embed) features, got \(describe(key.shape)) and \(describe(value.shape))")
        }
        guard !isCausal || attnMask != nil else {
            throw EngineError.invalidArgument("\(op): need attn_mask if specifying the is_causal hint")
        }
        try checkProjections(op, projections, embed: embed)
        // Everything below works on (length, batch, features).
        func sequenceFirst(_ t: Tensor) throws -> Tensor {
            batched ? (batchFirst ? try swapAxes(t, 0, 1) : t) : try unsqueeze(t, axes: [1])
        }
        let (q, k, v) = (try sequenceFirst(query), try sequenceFirst(key), try sequenceFirst(value))
        let (length, batch, sourceLength) = (q.shape[0], q.shape[1], k.shape[0])
        guard k.shape[1] == batch && v.shape[1] == batch && v.shape[0] == sourceLength else {
            throw EngineError.shapeMismatch("\(op): query, key and value must agree on the batch size and key and value on the length, got \(describe(query.shape)), \(describe(key.shape)) and \(describe(value.shape))")
        }
        let headDim = embed / heads
        let packed = try split(projections.inProjWeight, boundaries: [embed, 2 * embed], axis: 0)
        let biases = try projections.inProjBias.map { try split($0, boundaries: [embed, 2 * embed], axis: 0) }
        // (len, N, E) projected, then viewed as (N·heads, len, headDim).
        func splitHeads(_ x: Tensor, _ part: Int) throws -> Tensor {
            var projected = try matmul(x, try transpose(packed[part], axes: nil))
            if let biases { projected = try projected + biases[part] }
            return try swapAxes(try reshape(projected, [x.shape[0], batch * heads, headDim]), 0, 1)
        }
        let mask = try combinedMask(op, attnMask: attnMask, keyPaddingMask: keyPaddingMask, batched: batched,
                                    batch: batch, heads: heads, length: length, sourceLength: sourceLength, dtype: q.dtype)
        let attended = try scaledDotProductAttention(try splitHeads(q, 0), try splitHeads(k, 1), try splitHeads(v, 2), mask: mask,
                                                     dropoutP: dropoutP, training: training, isCausal: false, scale: nil)
        let merged = try reshape(try swapAxes(attended.output, 0, 1), [length, batch, embed])
        var output = try matmul(merged, projections.outProjWeight)
        if let bias = projections.outProjBias { output = try output + bias }
        output = batched ? (batchFirst ? try swapAxes(output, 0, 1) : output) : try squeeze(output, axes: [1])
        guard needWeights, let weights = attended.weights else { return Attention(output: output, weights: nil) }
        var perHead = try reshape(weights, [batch, heads, length, sourceLength])
        if averageWeights { perHead = try mean(perHead, axes: [1]) }
        return Attention(output: output, weights: batched ? perHead : try squeeze(perHead, axes: [0]))
    }

    /// Checks the shapes and dtypes of a multi-head attention's projections.
    private static func checkProjections(_ op: String, _ p: MultiheadAttentionWeights, embed: Int) throws {
        let expected: [(String, Tensor?, [Int])] = [("in_proj_weight", p.inProjWeight, [3 * embed, embed]),
                                                    ("in_proj_bias", p.inProjBias, [3 * embed]),
                                                    ("out_proj_weight", p.outProjWeight, [embed, embed]),
                                                    ("out_proj_bias", p.outProjBias, [embed])]
        for (name, t, shape) in expected {
            guard let t else { continue }
            guard t.shape == shape else {
                throw EngineError.shapeMismatch("\(op): \(name) must have shape \(describe(shape)) for embed_dim \(embed), got \(describe(t.shape))")
            }
            guard t.dtype.isFloatingPoint else {
                throw EngineError.dtype("\(op): \(name) must be float16, float32 or float64, got \(t.dtype.name)")
            }
        }
    }

    /// The additive float mask (-inf where left out) of shape (N·heads or 1, L, S) combining the
    /// attention mask and the key padding mask, or nil when neither is given.
    private static func combinedMask(_ op: String, attnMask: Tensor?, keyPaddingMask: Tensor?, batched: Bool, batch: Int,
                                     heads: Int, length: Int, sourceLength: Int, dtype: DType) throws -> Tensor? {
        func additive(_ m: Tensor, _ name: String) throws -> Tensor {
            guard m.dtype == .bool || m.dtype.isFloatingPoint else {
                throw EngineError.dtype("\(op): \(name) must be bool or float, got \(m.dtype.name)")
            }
            guard m.dtype == .bool else { return try cast(m, to: dtype) }
            return try `where`(m, try Tensor.scalar(-.infinity, dtype: dtype), try Tensor.scalar(0, dtype: dtype))
        }
        var combined: Tensor?
        if let attnMask {
            let valid = attnMask.shape == [length, sourceLength] || attnMask.shape == [batch * heads, length, sourceLength]
            guard valid else {
                throw EngineError.shapeMismatch("\(op): attn_mask must have shape (\(length), \(sourceLength)) or (\(batch * heads), \(length), \(sourceLength)), got \(describe(attnMask.shape))")
            }
            combined = try additive(attnMask, "attn_mask")
        }
        if let keyPaddingMask {
            let expected = batched ? [batch, sourceLength] : [sourceLength]
            guard keyPaddingMask.shape == expected else {
                throw EngineError.shapeMismatch("\(op): key_padding_mask must have shape \(describe(expected)), got \(describe(keyPaddingMask.shape))")
            }
            // (N, S) -> (N, 1, 1, S) -> (N, heads, 1, S) -> (N·heads, 1, S)
            let perKey = try reshape(try additive(keyPaddingMask, "key_padding_mask"), [batch, 1, 1, sourceLength])
            let padding = try reshape(try expand(perKey, to: [batch, heads, 1, sourceLength]), [batch * heads, 1, sourceLength])
            combined = try combined.map { try $0 + padding } ?? padding
        }
        return combined
    }
}
