extension Ops {
    /// The affine map of a Linear layer in PyDyNet's layout: `x @ weight + bias` with `weight`
    /// of shape (in, out), `x` of shape (..., in) and the result (..., out).
    ///
    /// `bias` (optional) holds `out` elements and broadcasts against the result without
    /// changing it: (out,), or (1, out) as PyDyNet code sometimes passes. The product is one
    /// gemm over all leading axes, accumulating onto the bias copied into the result; the
    /// backward is dx = g @ Wᵀ, dW = Xᵀ @ g (again one gemm each, as transposed `matmul` ops) and
    /// db = column sums of g.
    /// The three tensors are float; a float32 one meeting a float64 one is promoted to float64.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        if halfOnly(x, weight, bias) { return try half(linear(single(x), weight: single(weight), bias: single(bias))) }
        let op = "linear"
        let promoted = try promotedToCommonFloat(op, [("input", x), ("weight", weight), ("bias", bias)])
        let (x, weight, bias) = (promoted[0]!, promoted[1]!, promoted[2])
        guard weight.rank == 2 else {
            throw EngineError.invalidArgument("\(op): weight must be 2-D (in_features, out_features), got shape \(describe(weight.shape))")
        }
        guard x.rank >= 1 else {
            throw EngineError.invalidArgument("\(op): input must have at least one dimension (..., in_features), got shape ()")
        }
        let (inFeatures, outFeatures) = (weight.shape[0], weight.shape[1])
        guard x.shape[x.rank - 1] == inFeatures else {
            throw EngineError.shapeMismatch("\(op): input has \(x.shape[x.rank - 1]) features (shape \(describe(x.shape))) but weight \(describe(weight.shape)) expects in_features = \(inFeatures)")
        }
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        if let bias {
            let fits = bias.rank >= 1 && bias.rank <= outShape.count && bias.shape.last == outFeatures
                && bias.shape.dropLast().allSatisfy { $0 == 1 }
            guard fits else {
                throw EngineError.shapeMismatch("\(op): bias of shape \(describe(bias.shape)) must hold out_features = \(outFeatures) values and broadcast to the output shape \(describe(outShape))")
            }
        }
        let rows = x.shape.dropLast().reduce(1, *)
        guard [rows, inFeatures, outFeatures].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw EngineError.outOfMemory("\(op): dimensions above 2^31 - 1 are not supported (input \(describe(x.shape)), weight \(describe(weight.shape)))")
        }

        let out = try Tensor(shape: outShape, dtype: x.dtype, op: op)
        if let bias {
            func fill<T: FloatElement>(_ type: T.Type) { fillRows(out, with: bias, type) }
            try x.dtype.dispatchFloat(op, fill, fill)
        }
        try product(x.dtype, false, false, rows, outFeatures, inFeatures, x, weight, out, accumulate: bias != nil)

        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return try out.recording(op, inputs) { g in
            let rowsOfG = try reshape(g, [rows, outFeatures])
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGrad {
                grads[0] = try reshape(matmul(rowsOfG, weight, transposeA: false, transposeB: true), x.shape)
            }
            if weight.requiresGrad {
                grads[1] = try matmul(reshape(x, [rows, inFeatures]), rowsOfG, transposeA: true, transposeB: false)
            }
            if let bias {
                grads.append(bias.requiresGrad ? try reshape(sum(rowsOfG, axes: [0]), bias.shape) : nil)
            }
            return grads
        }
    }

    /// Copies the `bias` row (`out`'s last dimension of elements) into every row of `out`.
    private static func fillRows<T: FloatElement>(_ out: Tensor, with bias: Tensor, _: T.Type) {
        let width = bias.count, rows = width == 0 ? 0 : out.count / width
        let source = bias.pointer(T.self), target = out.pointer(T.self)
        Parallel.forRanges(rows, grain: max(1, Parallel.minimumElements / max(width, 1))) { range in
            for r in range { (target + r * width).update(from: source, count: width) }
        }
    }

    /// `C = op(A) @ op(B)`, or `C += op(A) @ op(B)` when `accumulate`, for the densely stored
    /// row-major matrices of three contiguous tensors of float dtype `type` (op(A) is m×k,
    /// op(B) k×n, C m×n; with k = 0 the product is zero).
    private static func product(_ type: DType, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                _ a: Tensor, _ b: Tensor, _ c: Tensor, accumulate: Bool) throws {
        func run<T: BLASScalar>(_: T.Type) {
            T.gemm(transA, transB, m, n, k, a.pointer(T.self), b.pointer(T.self), beta: accumulate ? 1 : 0, c.pointer(T.self))
        }
        try type.dispatchFloat("linear", run, run)
    }
}
