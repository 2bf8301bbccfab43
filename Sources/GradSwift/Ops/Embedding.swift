#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// A lookup table: row `indices[i]` of `weight` (num_embeddings, embedding_dim) for every
    /// element, giving shape `indices.shape + (embedding_dim,)`.
    ///
    /// `indices` are int64 in `0..<num_embeddings` (as PyTorch; a negative index is out of
    /// range). The backward scatter-adds the output gradient's rows into a zero (num, dim)
    /// gradient, skipping the rows of `paddingIndex` (negative counts from the end), which
    /// therefore never receive a gradient — PyTorch's semantics. (PyDyNet instead multiplies the
    /// output by a mask of `indices != padding_idx`, which also zeroes the forward value there.)
    public static func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int?) throws -> Tensor {
        if halfOnly(weight) { return try half(embedding(indices, weight: single(weight), paddingIndex: paddingIndex)) }
        let op = "embedding"
        guard weight.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): weight must be float16, float32 or float64, got \(weight.dtype.name)")
        }
        guard weight.rank == 2 else {
            throw EngineError.invalidArgument("\(op): weight must be 2-D (num_embeddings, embedding_dim), got shape \(describe(weight.shape))")
        }
        let indices = try int64Index(indices, op, "indices")
        let (count, dim) = (weight.shape[0], weight.shape[1])
        let padding = try embeddingPadding(paddingIndex, count: count, op: op)
        try checkEmbeddingIndices(indices, count: count, op: op)

        let out = try Tensor(shape: indices.shape + [dim], dtype: weight.dtype, op: op)
        let rowBytes = dim * weight.dtype.itemSize
        let index = indices.pointer(Int64.self), table = weight.storage.bytes, target = out.storage.bytes
        Parallel.forRanges(indices.count, grain: max(1, Parallel.minimumElements / max(dim, 1))) { range in
            for i in range { memcpy(target + i * rowBytes, table + Int(index[i]) * rowBytes, rowBytes) }
        }

        return try out.recording(op, [indices, weight]) { g in
            [nil, try embeddingBackward(g, indices, count: count, skipping: padding)]
        }
    }

    /// The (count, dim) weight gradient of an embedding: `g`'s rows scatter-added at `indices`,
    /// except those of the `padding` row. Linear in `g`: its backward is the lookup of the
    /// same rows, zero at the padding positions.
    static func embeddingBackward(_ g: Tensor, _ indices: Tensor, count: Int, skipping padding: Int?) throws -> Tensor {
        let op = "embedding_backward"
        // The indices may have been overwritten in place since the forward: check them again.
        try checkEmbeddingIndices(indices, count: count, op: "embedding backward")
        let dim = g.shape.last ?? 0
        let gw = try Tensor(shape: [count, dim], dtype: g.dtype, zeroed: true, op: op)
        func run<T: FloatElement>(_ type: T.Type) { scatterRows(g, indices, into: gw, skipping: padding, type) }
        try g.dtype.dispatchFloat(op, run, run)
        return try gw.recording(op, [g]) { gg in
            let rows = try embedding(indices, weight: gg, paddingIndex: nil)
            guard let padding else { return [rows] }
            let kept = try Ops.ne(indices, Tensor.scalar(Double(padding), dtype: .int64))
            return [try rows * Ops.cast(Ops.reshape(kept, indices.shape + [1]), to: rows.dtype)]
        }
    }

    /// `paddingIndex` mapped into `0..<count` (a negative one counts from the end, as PyTorch),
    /// or an error when it is outside `-count..<count`.
    public static func embeddingPadding(_ paddingIndex: Int?, count: Int, op: String) throws -> Int? {
        guard let paddingIndex else { return nil }
        guard paddingIndex >= -count && paddingIndex < count else {
            throw EngineError.invalidArgument("\(op): padding_idx \(paddingIndex) must be within num_embeddings (\(-count)...\(count - 1) for \(count) embeddings)")
        }
        return paddingIndex < 0 ? paddingIndex + count : paddingIndex
    }

    /// Fails with an index error naming the first index outside `0..<count`.
    private static func checkEmbeddingIndices(_ indices: Tensor, count: Int, op: String) throws {
        let index = indices.pointer(Int64.self)
        for i in 0..<indices.count where index[i] < 0 || index[i] >= Int64(count) {
            let valid = count == 0 ? "the table is empty" : "valid indices are 0...\(count - 1)"
            throw EngineError.index("\(op): index \(index[i]) is out of range for \(count) embeddings (\(valid))")
        }
    }

    /// `gw[indices[i], :] += g[i, :]` for every i whose index is not `padding`. Large gradients
    /// split the embedding columns over the cores (each core owns whole columns, so no two
    /// write the same element).
    private static func scatterRows<T: FloatElement>(_ g: Tensor, _ indices: Tensor, into gw: Tensor,
                                                     skipping padding: Int?, _: T.Type) {
        let dim = gw.shape[1], n = indices.count
        let index = indices.pointer(Int64.self), source = g.pointer(T.self), target = gw.pointer(T.self)
        let skip = padding.map(Int64.init) ?? -1
        let grain = max(1, Parallel.minimumElements / max(n, 1))
        Parallel.forRanges(dim, grain: grain) { columns in
            for i in 0..<n where index[i] != skip {
                let row = source + i * dim, dst = target + Int(index[i]) * dim
                for j in columns { dst[j] += row[j] }
            }
        }
    }
}
