extension Ops {
    /// The affine map of a Linear layer in PyDyNet's layout: `x @ weight + bias` with `weight`
    /// of shape (in, out), `x` of shape (..., in) and the result (..., out).
    ///
    /// `bias` (optional) holds `out` elements and broadcasts against the result without
    /// changing it: (out,), or (1, out) as PyDyNet code sometimes passes. The product is one
    /// gemm over all leading axes, accumulating onto the bias copied into the result; the
    /// backward is dx = g @ Wᵀ, dW = Xᵀ @ g (again one gemm each) and db = column sums of g.
    /// The three tensors must share one float dtype.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let op = "linear"
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float32 or float64, got \(x.dtype.name)")
        }
        guard weight.dtype == x.dtype else {
            throw EngineError.dtype("\(op): input and weight must have the same dtype, got \(x.dtype.name) and \(weight.dtype.name)")
        }
        if let bias, bias.dtype != x.dtype {
            throw EngineError.dtype("\(op): input and bias must have the same dtype, got \(x.dtype.name) and \(bias.dtype.name)")
        }
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
            if x.dtype == .float32 { fillRows(out, with: bias, Float.self) } else { fillRows(out, with: bias, Double.self) }
        }
        product(x.dtype, false, false, rows, outFeatures, inFeatures, x, weight, out, accumulate: bias != nil)

        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return try out.recording(op, inputs) { g in
            var grads: [Tensor?] = [nil, nil]
            if x.requiresGrad {
                let gx = try Tensor(shape: x.shape, dtype: g.dtype, op: op)
                product(g.dtype, false, true, rows, inFeatures, outFeatures, g, weight, gx, accumulate: false)
                grads[0] = gx
            }
            if weight.requiresGrad {
                let gw = try Tensor(shape: weight.shape, dtype: g.dtype, op: op)
                product(g.dtype, true, false, inFeatures, outFeatures, rows, x, g, gw, accumulate: false)
                grads[1] = gw
            }
            if let bias {
                var gb: Tensor?
                if bias.requiresGrad {
                    let sums = try Tensor(shape: bias.shape, dtype: g.dtype, op: op)
                    if g.dtype == .float32 {
                        columnSums(g, rows, outFeatures, into: sums, Float.self)
                    } else {
                        columnSums(g, rows, outFeatures, into: sums, Double.self)
                    }
                    gb = sums
                }
                grads.append(gb)
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

    /// `out[j] = Σ_r g[r, j]` for the row-major `rows × cols` matrix `g`, accumulated in double
    /// precision; large matrices are split by rows over the cores and the partial sums merged.
    private static func columnSums<T: FloatElement>(_ g: Tensor, _ rows: Int, _ cols: Int, into out: Tensor, _: T.Type) {
        let source = g.pointer(T.self), target = out.pointer(T.self)
        let pieces = max(1, min(Parallel.threads, rows * cols / Parallel.minimumElements, rows))
        var partials = [Double](repeating: 0, count: pieces * cols)
        partials.withUnsafeMutableBufferPointer { slots in
            guard let base = slots.baseAddress else { return }
            Parallel.forRanges(pieces, grain: 1) { range in
                for piece in range {
                    let sums = base + piece * cols
                    for r in (rows * piece / pieces)..<(rows * (piece + 1) / pieces) {
                        let row = source + r * cols
                        for j in 0..<cols { sums[j] += Double(row[j]) }
                    }
                }
            }
        }
        for j in 0..<cols {
            var total = 0.0
            for piece in 0..<pieces { total += partials[piece * cols + j] }
            target[j] = T(total)
        }
    }

    /// `C = op(A) @ op(B)`, or `C += op(A) @ op(B)` when `accumulate`, for the densely stored
    /// row-major matrices of three contiguous tensors of float dtype `type` (op(A) is m×k,
    /// op(B) k×n, C m×n; with k = 0 the product is zero).
    private static func product(_ type: DType, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                _ a: Tensor, _ b: Tensor, _ c: Tensor, accumulate: Bool) {
        if type == .float32 {
            Float.gemm(transA, transB, m, n, k, a.pointer(Float.self), b.pointer(Float.self),
                       beta: accumulate ? 1 : 0, c.pointer(Float.self))
        } else {
            Double.gemm(transA, transB, m, n, k, a.pointer(Double.self), b.pointer(Double.self),
                        beta: accumulate ? 1 : 0, c.pointer(Double.self))
        }
    }
}
