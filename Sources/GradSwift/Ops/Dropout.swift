extension Ops {
    /// Inverted dropout: in training, each element is kept with probability `1 - p` (a draw of
    /// the engine generator below `1 - p`, as PyDyNet's `rand() < 1 - p`) and scaled by
    /// `1 / (1 - p)`, the others set to zero; `p == 1` gives zeros (as PyTorch). Not training,
    /// or `p == 0`, returns `x` itself. The backward multiplies by the same mask and scale.
    public static func dropout(_ x: Tensor, p: Double, training: Bool) throws -> Tensor {
        if halfOnly(x) { return try half(dropout(single(x), p: p, training: training)) }
        let op = "dropout"
        guard p >= 0 && p <= 1 else {
            throw EngineError.invalidArgument("\(op): probability has to be between 0 and 1, got \(p)")
        }
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        guard training && p > 0 else { return x }
        // `mask` holds the factor applied to each element: 1 / (1 - p) where kept, else 0.
        let mask = try Tensor(shape: x.shape, dtype: x.dtype, zeroed: p == 1, op: op)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, zeroed: p == 1, op: op)
        if p < 1 {
            func run<T: FloatElement>(_ type: T.Type) { drawMask(x, p, mask, out, type) }
            try x.dtype.dispatchFloat(op, run, run)
        }
        return try out.recording(op, [x]) { g in [try g * mask] }
    }

    /// PyTorch's `dropout1d` (`spatialDims` 1; x of shape (N, C, L) or (C, L)) and `dropout2d`
    /// (2; (N, C, H, W) or (C, H, W)): in training each channel is zeroed whole with probability
    /// `p`, the kept ones scaled by `1 / (1 - p)`; not training, `x` itself. One draw per channel
    /// makes a (N, C, 1, ...) mask that multiplies x, so the backward is the same product.
    public static func channelDropout(_ x: Tensor, p: Double, training: Bool, spatialDims: Int) throws -> Tensor {
        if halfOnly(x) { return try half(channelDropout(single(x), p: p, training: training, spatialDims: spatialDims)) }
        let op = "dropout\(spatialDims)d"
        guard spatialDims == 1 || spatialDims == 2 else {
            throw EngineError.invalidArgument("channel dropout: spatial dims must be 1 or 2, got \(spatialDims)")
        }
        guard x.rank == spatialDims + 1 || x.rank == spatialDims + 2 else {
            throw EngineError.invalidArgument("\(op): expected \(spatialDims + 1)D (unbatched) or \(spatialDims + 2)D (batched) input, got \(x.rank)D input of shape \(describe(x.shape))")
        }
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        guard p >= 0 && p <= 1 else {
            throw EngineError.invalidArgument("\(op): probability has to be between 0 and 1, got \(p)")
        }
        guard training && p > 0 else { return x }
        let maskShape = Array(x.shape.prefix(x.rank - spatialDims)) + Array(repeating: 1, count: spatialDims)
        return try x * dropout(try Tensor.full(1, dtype: x.dtype, shape: maskShape), p: p, training: true)
    }

    /// One pass drawing the mask and writing `out = x * mask` (draws in element order, so a
    /// seed gives the same mask on every machine).
    private static func drawMask<T: FloatElement>(_ x: Tensor, _ p: Double, _ mask: Tensor, _ out: Tensor, _: T.Type) {
        let keep = 1 - p, scale = T(1 / keep)
        let source = x.pointer(T.self), factor = mask.pointer(T.self), target = out.pointer(T.self)
        RandomGenerator.shared.withLock { rng in
            for i in 0..<x.count {
                let f: T = rng.nextUnit() < keep ? scale : 0
                factor[i] = f
                target[i] = source[i] * f
            }
        }
    }
}
