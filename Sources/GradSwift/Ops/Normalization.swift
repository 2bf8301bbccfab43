/// Normalization as fused ops: layer norm and RMS norm (each row over the trailing dims) and
/// batch norm (each channel over every other axis), each with one fused backward. Statistics
/// are accumulated in double precision; results have the input's dtype, or float64 when
/// float32 meets float64 parameters.
extension Ops {
    /// PyTorch's `layer_norm`: each sample is normalized over its trailing `normalizedShape`
    /// dims, `(x - mean) / sqrt(var + eps) * weight + bias` with the biased variance.
    /// `weight` and `bias` are optional and have shape `normalizedShape`.
    public static func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?,
                                 eps: Double) throws -> Tensor {
        try rowNorm("layer_norm", x, normalizedShape, weight, bias, eps, centered: true)
    }

    /// PyTorch's `rms_norm`: `x / sqrt(mean(x²) + eps) * weight`, the mean taken over the
    /// trailing `normalizedShape` dims. `weight` is optional and has shape `normalizedShape`.
    public static func rmsNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, eps: Double) throws -> Tensor {
        try rowNorm("rms_norm", x, normalizedShape, weight, nil, eps, centered: false)
    }

    /// Forward and backward of layer norm (`centered`) and RMS norm over rows of the trailing
    /// `normalizedShape` elements, rows split over the cores when large.
    /// Backward, with x̂ the normalized row, r = 1/sqrt(var + eps) and ĝ = g·weight:
    /// dx = r·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)) (no mean(ĝ) term for RMS norm),
    /// dweight = Σ_rows g·x̂, dbias = Σ_rows g.
    private static func rowNorm(_ op: String, _ x: Tensor, _ normalizedShape: [Int], _ weight: Tensor?,
                                _ bias: Tensor?, _ eps: Double, centered: Bool) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try half(rowNorm(op, single(x), normalizedShape, single(weight), single(bias), eps, centered: centered))
        }
        try checkEps(op, eps)
        let promoted = try promotedToCommonFloat(op, [("input", x), ("weight", weight), ("bias", bias)])
        let (x, weight, bias) = (promoted[0]!, promoted[1], promoted[2])
        guard !normalizedShape.isEmpty else {
            throw EngineError.invalidArgument("\(op): normalized_shape must have at least one dimension, got ()")
        }
        guard x.rank >= normalizedShape.count && Array(x.shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw EngineError.shapeMismatch("\(op): given normalized_shape \(describe(normalizedShape)), expected input of shape (*, \(normalizedShape.map(String.init).joined(separator: ", "))), got \(describe(x.shape))")
        }
        for (name, t) in [("weight", weight), ("bias", bias)] {
            guard let t else { continue }
            guard t.shape == normalizedShape else {
                throw EngineError.shapeMismatch("\(op): \(name) must have shape normalized_shape \(describe(normalizedShape)), got \(describe(t.shape))")
            }
        }
        let width = normalizedShape.reduce(1, *)
        let rows = width == 0 ? 0 : x.count / width
        let scale = try weight ?? Tensor.full(1, dtype: x.dtype, shape: normalizedShape)
        let shift = try bias ?? Tensor.full(0, dtype: x.dtype, shape: normalizedShape)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: op)
        // Row i's mean at [i], its 1/sqrt(var + eps) at [rows + i].
        let stats = try Tensor(shape: [2, rows], dtype: .float64, op: op)
        let kernel = RowNormKernel(rows: rows, width: width, rank: normalizedShape.count, centered: centered, eps: eps)
        func run<T: FloatElement>(_ type: T.Type) { kernel.forward(x, scale, shift, out, stats, type) }
        try x.dtype.dispatchFloat(op, run, run)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return try out.recording(op, inputs) { g in
            let (dx, dw, db) = try rowNormBackward(op, g, x, weight, bias, stats, kernel)
            return [dx] + (weight == nil ? [] : [dw]) + (bias == nil ? [] : [db])
        }
    }

    /// The gradients of a layer or RMS norm's input, weight and bias (each only when that tensor
    /// requires grad) from the output gradient `g`, fused, with the row statistics `stats` the
    /// forward computed (mean, then 1/sqrt(var + eps), per row; constants of `x`). An op of its
    /// own; its backward is derived from the same math written with ops.
    private static func rowNormBackward(_ op: String, _ g: Tensor, _ x: Tensor, _ weight: Tensor?, _ bias: Tensor?,
                                        _ stats: Tensor, _ kernel: RowNormKernel) throws -> (Tensor?, Tensor?, Tensor?) {
        let name = op + "_backward"
        let shape = Array(x.shape.suffix(kernel.rank))
        let scale = try weight ?? Tensor.full(1, dtype: x.dtype, shape: shape)
        let dx = x.requiresGrad ? try Tensor(shape: x.shape, dtype: x.dtype, op: name) : nil
        let dw = weight?.requiresGrad == true ? try Tensor(shape: shape, dtype: x.dtype, op: name) : nil
        let db = bias?.requiresGrad == true ? try Tensor(shape: shape, dtype: x.dtype, op: name) : nil
        func run<T: FloatElement & SIMDScalar>(_ type: T.Type) { kernel.backward(x, scale, stats, g, dx, dw, db, type) }
        try x.dtype.dispatchFloat(name, run, run)
        let rows = Array(0..<(x.rank - kernel.rank)), axes = Array((x.rank - kernel.rank)..<x.rank)
        try Tensor.recording([dx, dw, db], name, [g, x] + (weight.map { [$0] } ?? []), composite: { v in
            let (g, x) = (v[0], v[1])
            let deviation = kernel.centered ? try x - Ops.mean(x, axes: axes, keepDims: true) : x
            let rstd = try 1 / Ops.sqrt(Ops.mean(deviation * deviation, axes: axes, keepDims: true) + kernel.eps)
            let xhat = try deviation * rstd
            let gw = weight == nil ? g : try g * v[2]
            var inner = try gw - xhat * Ops.mean(gw * xhat, axes: axes, keepDims: true)
            if kernel.centered { inner = try inner - Ops.mean(gw, axes: axes, keepDims: true) }
            return [try rstd * inner, try Ops.sum(g * xhat, axes: rows), try Ops.sum(g, axes: rows)]
        })
        return (dx, dw, db)
    }

    /// PyTorch's `batch_norm` for x of shape (N, C, ...): statistics per channel over every
    /// other axis. In training the batch mean and biased variance normalize x and the running
    /// statistics, when given, are updated in place outside the graph:
    /// `running = (1 - momentum) * running + momentum * stat`, with the unbiased variance
    /// (times n / (n - 1)) as PyTorch. In evaluation the running statistics normalize x.
    /// Per-channel tensors have shape (C,) or (1, C, 1, ...); gradients flow to x, weight and
    /// bias, never to the running statistics.
    public static func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?,
                                 bias: Tensor?, training: Bool, momentum: Double, eps: Double) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try halfWithRunningStatistics(runningMean, runningVar) { mean, variance in
                try batchNorm(single(x), runningMean: mean, runningVar: variance, weight: single(weight),
                              bias: single(bias), training: training, momentum: momentum, eps: eps)
            }
        }
        let op = "batch_norm"
        try checkEps(op, eps)
        let promoted = try promotedToCommonFloat(op, [("input", x), ("weight", weight), ("bias", bias)])
        let (x, weight, bias) = (promoted[0]!, promoted[1], promoted[2])
        guard x.rank >= 2 else {
            throw EngineError.invalidArgument("\(op): input must have at least 2 dimensions (N, C, ...), got shape \(describe(x.shape))")
        }
        let channels = x.shape[1]
        let layout = ChannelLayout(rows: x.shape[0] * channels, channels: channels, width: x.shape.dropFirst(2).reduce(1, *))
        for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
            guard let t else { continue }
            if name.hasPrefix("running"), t.dtype != x.dtype {
                throw EngineError.dtype("\(op): \(name) is \(t.dtype.name) but the normalization runs in \(x.dtype.name); running statistics are updated in place, so they must have that dtype")
            }
            let perChannel = t.shape == [channels]
                || (t.rank >= 2 && t.shape.indices.allSatisfy { t.shape[$0] == ($0 == 1 ? channels : 1) })
            guard perChannel else {
                throw EngineError.shapeMismatch("\(op): input \(describe(x.shape)) has \(channels) channels, so \(name) must have shape (\(channels),) or (1, \(channels), 1, ...), got \(describe(t.shape))")
            }
        }
        guard (runningMean == nil) == (runningVar == nil) else {
            throw EngineError.invalidArgument("\(op): running_mean and running_var must be given together")
        }
        guard momentum.isFinite else {
            throw EngineError.invalidArgument("\(op): momentum must be a finite number, got \(momentum)")
        }
        if training {
            guard layout.perChannel > 1 else {
                throw EngineError.invalidArgument("\(op): expected more than 1 value per channel when training, got input size \(describe(x.shape))")
            }
            for (name, t) in [("running_mean", runningMean), ("running_var", runningVar)] where t?.requiresGrad == true {
                throw EngineError.invalidArgument("\(op): \(name) is updated in place, so it must not require grad")
            }
        } else if runningMean == nil {
            throw EngineError.invalidArgument("\(op): running_mean and running_var are required in evaluation mode")
        }

        let scale = try weight ?? Tensor.full(1, dtype: x.dtype, shape: [channels])
        let shift = try bias ?? Tensor.full(0, dtype: x.dtype, shape: [channels])
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: op)
        // Channel c's mean at [c], its 1/sqrt(var + eps) at [channels + c].
        let stats = try Tensor(shape: [2, channels], dtype: .float64, op: op)
        let running = runningMean.flatMap { mean in runningVar.map { (mean, $0) } }
        func run<T: FloatElement>(_ type: T.Type) {
            layout.statistics(x, stats, training: training, running: running, momentum: momentum, eps: eps, type)
            layout.forward(x, scale, shift, out, stats, type)
        }
        try x.dtype.dispatchFloat(op, run, run)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        // Evaluation normalizes with the running statistics as they were at the forward.
        let frozen = training ? nil : stats
        return try out.recording(op, inputs) { g in
            let (dx, dw, db) = try batchNormBackward(g, x, weight, bias, frozen: frozen, eps: eps, layout)
            return [dx] + (weight == nil ? [] : [dw]) + (bias == nil ? [] : [db])
        }
    }

    /// The gradients of a batch norm's input, weight and bias (each only when that tensor
    /// requires grad) from the output gradient `g`, fused. Training recomputes the batch
    /// statistics from `x` (they depend on it); evaluation uses the `frozen` statistics (mean,
    /// then 1/sqrt(var + eps), per channel). An op of its own; its backward is derived from the
    /// same math written with ops.
    private static func batchNormBackward(_ g: Tensor, _ x: Tensor, _ weight: Tensor?, _ bias: Tensor?, frozen: Tensor?,
                                          eps: Double, _ layout: ChannelLayout) throws -> (Tensor?, Tensor?, Tensor?) {
        let name = "batch_norm_backward"
        let channels = layout.channels
        let scale = try weight ?? Tensor.full(1, dtype: x.dtype, shape: [channels])
        let dx = x.requiresGrad ? try Tensor(shape: x.shape, dtype: x.dtype, op: name) : nil
        let dw = try weight.flatMap { $0.requiresGrad ? try Tensor(shape: $0.shape, dtype: x.dtype, op: name) : nil }
        let db = try bias.flatMap { $0.requiresGrad ? try Tensor(shape: $0.shape, dtype: x.dtype, op: name) : nil }
        let stats = try frozen ?? Tensor(shape: [2, channels], dtype: .float64, op: name)
        func run<T: FloatElement>(_ type: T.Type) {
            if frozen == nil { layout.statistics(x, stats, training: true, running: nil, momentum: 0, eps: eps, type) }
            layout.backward(x, scale, stats, g, dx, dw, db, training: frozen == nil, type)
        }
        try x.dtype.dispatchFloat(name, run, run)
        let axes = [0] + Array(2..<x.rank)
        let perChannel = [1, channels] + Array(repeating: 1, count: x.rank - 2)
        try Tensor.recording([dx, dw, db], name, [g, x] + (weight.map { [$0] } ?? []), composite: { v in
            let (g, x) = (v[0], v[1])
            let mean: Tensor, rstd: Tensor
            if let frozen {
                let columns = try Ops.cast(Ops.transpose(frozen, axes: nil), to: x.dtype)
                let split = try Ops.split(columns, boundaries: [1], axis: 1)
                (mean, rstd) = (try Ops.reshape(split[0], perChannel), try Ops.reshape(split[1], perChannel))
            } else {
                mean = try Ops.mean(x, axes: axes, keepDims: true)
                let deviation = try x - mean
                rstd = try 1 / Ops.sqrt(Ops.mean(deviation * deviation, axes: axes, keepDims: true) + eps)
            }
            let xhat = try (x - mean) * rstd
            let gw = weight == nil ? g : try g * Ops.reshape(v[2], perChannel)
            var dx = try rstd * gw
            if frozen == nil {
                dx = try rstd * (gw - Ops.mean(gw, axes: axes, keepDims: true) - xhat * Ops.mean(gw * xhat, axes: axes, keepDims: true))
            }
            return [dx,
                    try weight.map { try Ops.reshape(Ops.sum(g * xhat, axes: axes), $0.shape) },
                    try bias.map { try Ops.reshape(Ops.sum(g, axes: axes), $0.shape) }]
        })
        return (dx, dw, db)
    }

    /// Checks that `eps` is a finite number >= 0.
    private static func checkEps(_ op: String, _ eps: Double) throws {
        guard eps.isFinite && eps >= 0 else {
            throw EngineError.invalidArgument("\(op): eps must be a finite number >= 0, got \(eps)")
        }
    }
}

/// Σ term(i) for i in 0..<count in four independent double accumulators, so the additions
/// are not one serial dependency chain.
@inline(__always)
private func laneSum(_ count: Int, _ term: (Int) -> Double) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i &+ 4 <= count {
        s0 += term(i); s1 += term(i &+ 1); s2 += term(i &+ 2); s3 += term(i &+ 3)
        i &+= 4
    }
    while i < count {
        s0 += term(i)
        i &+= 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// Layer norm (`centered`) and RMS norm over `rows` contiguous rows of `width` elements.
private struct RowNormKernel {
    let rows: Int, width: Int
    /// The number of trailing dims a row spans.
    let rank: Int
    let centered: Bool, eps: Double

    /// Rows per piece of work, so a piece holds about `Parallel.minimumElements` elements.
    private var grain: Int { max(1, Parallel.minimumElements / max(width, 1)) }

    /// out = (x - mean) * rstd * w + b per row, storing each row's mean and rstd in `stats`.
    func forward<T: FloatElement>(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ out: Tensor, _ stats: Tensor, _: T.Type) {
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        let wp = w.pointer(T.self), bp = b.pointer(T.self)
        let mean = stats.pointer(Double.self), rstd = mean + rows
        Parallel.forRanges(rows, grain: grain) { range in
            for r in range {
                let row = src + r * width, o = dst + r * width
                (mean[r], rstd[r]) = moments(row)
                let m = T(mean[r]), s = T(rstd[r])
                for i in 0..<width { o[i] = (row[i] - m) * s * wp[i] + bp[i] }
            }
        }
    }

    /// A row's mean (0 for RMS norm) and 1/sqrt(var + eps), with var the mean squared deviation.
    @inline(__always)
    private func moments<T: FloatElement>(_ row: UnsafeMutablePointer<T>) -> (Double, Double) {
        let n = Double(width)
        let mu = centered ? laneSum(width) { Double(row[$0]) } / n : 0
        let variance = laneSum(width) { let d = Double(row[$0]) - mu; return d * d } / n
        return (mu, 1 / (variance + eps).squareRoot())
    }

    /// The input gradient into `dx` and the summed weight and bias gradients into `dw` and `db`
    /// (each only when given), from the output gradient `g` and the forward's row statistics.
    /// Per row one pass gathers Σ g·w and Σ g·w·x̂ (and adds g·x̂ and g to the columns' sums),
    /// a second writes dx; eight lanes at a time, every sum kept in double precision.
    func backward<T: FloatElement & SIMDScalar>(_ x: Tensor, _ w: Tensor, _ stats: Tensor, _ g: Tensor,
                                                _ dx: Tensor?, _ dw: Tensor?, _ db: Tensor?, _: T.Type) {
        let src = x.pointer(T.self), gp = g.pointer(T.self), wp = w.pointer(T.self)
        let dxp = dx?.pointer(T.self)
        let mean = stats.pointer(Double.self), rstd = mean + rows
        let n = Double(width), vectorEnd = width - width % 8
        let needsParameters = dw != nil || db != nil
        let pieces = max(1, min(Parallel.threads, rows / grain))
        // Per piece: Σ g·x̂ in [0, width), Σ g in [width, 2·width).
        var partials = [Double](repeating: 0, count: needsParameters ? pieces * 2 * width : 0)
        partials.withUnsafeMutableBufferPointer { slots in
            Parallel.forRanges(pieces, grain: 1) { pieceRange in
                for piece in pieceRange {
                    // (An empty array's buffer may still have a base address: test the flag.)
                    let sumGX = needsParameters ? slots.baseAddress.map { $0 + piece * 2 * width } : nil
                    let sumG = sumGX.map { $0 + width }
                    for r in rows * piece / pieces ..< rows * (piece + 1) / pieces {
                        let row = src + r * width, gr = gp + r * width
                        let mu = T(mean[r]), rs = T(rstd[r])
                        let mu8 = SIMD8(repeating: mu), rs8 = SIMD8(repeating: rs)
                        var lanesG = SIMD8<Double>(), lanesGX = SIMD8<Double>()
                        var i = 0
                        while i < vectorEnd {
                            let gv = SIMD8<T>.load(gr + i), xhat = (SIMD8<T>.load(row + i) - mu8) * rs8
                            let gw = gv * SIMD8<T>.load(wp + i)
                            lanesG += SIMD8<Double>(gw)
                            lanesGX += SIMD8<Double>(gw * xhat)
                            if let sumGX, let sumG {
                                (SIMD8<Double>.load(sumGX + i) + SIMD8<Double>(gv * xhat)).store(to: sumGX + i)
                                (SIMD8<Double>.load(sumG + i) + SIMD8<Double>(gv)).store(to: sumG + i)
                            }
                            i += 8
                        }
                        var totalG = lanesG.sum(), totalGX = lanesGX.sum()
                        for i in vectorEnd..<width {
                            let xhat = (row[i] - mu) * rs, gw = gr[i] * wp[i]
                            totalG += Double(gw)
                            totalGX += Double(gw * xhat)
                            if let sumGX, let sumG {
                                sumGX[i] += Double(gr[i] * xhat)
                                sumG[i] += Double(gr[i])
                            }
                        }
                        guard let dxp else { continue }
                        // dx = r·(g·w - mean(g·w) - x̂·mean(g·w·x̂)), without mean(g·w) for RMS norm
                        let shift = T(centered ? totalG / n : 0), slope = T(totalGX / n)
                        let shift8 = SIMD8(repeating: shift), slope8 = SIMD8(repeating: slope)
                        let out = dxp + r * width
                        i = 0
                        while i < vectorEnd {
                            let xhat = (SIMD8<T>.load(row + i) - mu8) * rs8
                            let gw = SIMD8<T>.load(gr + i) * SIMD8<T>.load(wp + i)
                            (rs8 * (gw - shift8 - xhat * slope8)).store(to: out + i)
                            i += 8
                        }
                        for i in vectorEnd..<width {
                            let xhat = (row[i] - mu) * rs
                            out[i] = rs * (gr[i] * wp[i] - shift - xhat * slope)
                        }
                    }
                }
            }
        }
        for (target, offset) in [(dw, 0), (db, width)] {
            guard let target else { continue }
            let p = target.pointer(T.self)
            for i in 0..<width {
                p[i] = T((0..<pieces).reduce(0.0) { $0 + partials[$1 * 2 * width + offset + i] })
            }
        }
    }
}

/// A per-element contribution to two per-channel sums, from x, the output gradient g and the
/// channel's mean; a type, so the batch-norm loops specialise on it.
private protocol ChannelTerm {
    associatedtype Element: FloatElement
    /// The two contributions of one element.
    static func apply(_ x: Element, _ g: Element, _ mean: Double) -> (Double, Double)
}

/// (x, 0): summed, the channel's mean times n.
private enum ValueTerm<T: FloatElement>: ChannelTerm {
    @inline(__always) static func apply(_ x: T, _ g: T, _ mean: Double) -> (Double, Double) { (Double(x), 0) }
}

/// ((x - mean)², 0): summed, the channel's variance times n.
private enum SquaredDeviationTerm<T: FloatElement>: ChannelTerm {
    @inline(__always) static func apply(_ x: T, _ g: T, _ mean: Double) -> (Double, Double) {
        let d = Double(x) - mean
        return (d * d, 0)
    }
}

/// (g, g·(x - mean)): summed, the bias gradient and the weight gradient over rstd.
private enum GradientTerm<T: FloatElement>: ChannelTerm {
    @inline(__always) static func apply(_ x: T, _ g: T, _ mean: Double) -> (Double, Double) {
        let gd = Double(g)
        return (gd, gd * (Double(x) - mean))
    }
}

/// Batch norm's view of x (N, C, ...) as `rows` = N·C rows of `width` contiguous elements,
/// row r belonging to channel r mod C. Loops run over rows, or over samples (rows of C
/// channels) when each row holds a single element, so the inner loop is always contiguous.
private struct ChannelLayout {
    let rows: Int, channels: Int, width: Int

    /// Values per channel (N times the spatial size).
    var perChannel: Int { channels == 0 ? 0 : rows / channels * width }

    /// The units the loops split over the cores (rows, or samples when rows hold one element),
    /// how many, and how many units make a piece of about `Parallel.minimumElements` elements.
    private var units: (bySample: Bool, count: Int, grain: Int) {
        let bySample = width == 1
        let size = bySample ? channels : width
        return (bySample, bySample ? rows / max(channels, 1) : rows, max(1, Parallel.minimumElements / max(size, 1)))
    }

    /// `dst = g·k + (x - mu)·q + m` elementwise (without the g term when `g` is nil), with
    /// per-channel coefficients: `coefficients` holds k, q, m and mu, `channels` values each.
    private func affineRows<T: FloatElement>(_ dst: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>,
                                             _ g: UnsafePointer<T>?, _ coefficients: [T]) {
        let (bySample, count, grain) = units
        coefficients.withUnsafeBufferPointer { p in
            guard let k = p.baseAddress else { return }
            let q = k + channels, m = q + channels, mu = m + channels
            Parallel.forRanges(count, grain: grain) { range in
                if bySample {
                    for n in range {
                        let d = dst + n &* channels, xs = x + n &* channels
                        if let g {
                            let gs = g + n &* channels
                            for c in 0..<channels { d[c] = gs[c] * k[c] + (xs[c] - mu[c]) * q[c] + m[c] }
                        } else {
                            for c in 0..<channels { d[c] = (xs[c] - mu[c]) * q[c] + m[c] }
                        }
                    }
                    return
                }
                var c = range.lowerBound % max(channels, 1)
                for r in range {
                    let (kc, qc, mc, muc) = (k[c], q[c], m[c], mu[c])
                    let lo = r &* width, hi = lo &+ width
                    if let g {
                        for i in lo..<hi { dst[i] = g[i] * kc + (x[i] - muc) * qc + mc }
                    } else {
                        for i in lo..<hi { dst[i] = (x[i] - muc) * qc + mc }
                    }
                    c &+= 1
                    if c == channels { c = 0 }
                }
            }
        }
    }

    /// Per channel c, the two sums of `K.apply(x, g, mean[c])` over the channel's elements,
    /// the work split over the cores, each piece summing into its own accumulators, merged at
    /// the end (in double precision).
    private func channelSums<K: ChannelTerm>(_: K.Type, _ x: UnsafePointer<K.Element>, _ g: UnsafePointer<K.Element>,
                                             _ mean: UnsafePointer<Double>) -> (first: [Double], second: [Double]) {
        let (bySample, count, grain) = units
        let pieces = max(1, min(Parallel.threads, count / grain))
        // Piece p's first sums at [2·p·channels ..< (2·p + 1)·channels], its second sums next.
        var partials = [Double](repeating: 0, count: 2 * pieces * channels)
        partials.withUnsafeMutableBufferPointer { slots in
            Parallel.forRanges(pieces, grain: 1) { pieceRange in
                for piece in pieceRange {
                    guard let first = slots.baseAddress.map({ $0 + 2 * piece * channels }) else { continue }
                    let second = first + channels
                    let lo = count * piece / pieces, hi = count * (piece + 1) / pieces
                    if bySample {
                        for n in lo..<hi {
                            let xs = x + n &* channels, gs = g + n &* channels
                            for c in 0..<channels {
                                let (a, b) = K.apply(xs[c], gs[c], mean[c])
                                first[c] += a
                                second[c] += b
                            }
                        }
                        continue
                    }
                    var c = lo % max(channels, 1)
                    for r in lo..<hi {
                        let mu = mean[c], start = r &* width, end = start &+ width
                        var a0 = 0.0, a1 = 0.0, b0 = 0.0, b1 = 0.0
                        var i = start
                        while i &+ 2 <= end {
                            let (u0, v0) = K.apply(x[i], g[i], mu), (u1, v1) = K.apply(x[i &+ 1], g[i &+ 1], mu)
                            a0 += u0; b0 += v0; a1 += u1; b1 += v1
                            i &+= 2
                        }
                        if i < end {
                            let (u, v) = K.apply(x[i], g[i], mu)
                            a0 += u; b0 += v
                        }
                        first[c] += a0 + a1
                        second[c] += b0 + b1
                        c &+= 1
                        if c == channels { c = 0 }
                    }
                }
            }
        }
        var first = [Double](repeating: 0, count: channels), second = first
        for p in 0..<pieces {
            for c in 0..<channels {
                first[c] += partials[2 * p * channels + c]
                second[c] += partials[(2 * p + 1) * channels + c]
            }
        }
        return (first, second)
    }

    /// Fills `stats` (per channel: mean, then 1/sqrt(var + eps)) with the batch statistics when
    /// `training`, also updating `running` in place when given, or else with the running ones.
    func statistics<T: FloatElement>(_ x: Tensor, _ stats: Tensor, training: Bool, running: (mean: Tensor, variance: Tensor)?,
                                     momentum: Double, eps: Double, _: T.Type) {
        let src = x.pointer(T.self)
        let mean = stats.pointer(Double.self), rstd = mean + channels
        if training {
            let n = Double(perChannel)
            for c in 0..<channels { mean[c] = 0 }
            let sums = channelSums(ValueTerm<T>.self, src, src, mean).first
            for c in 0..<channels { mean[c] = sums[c] / n }
            let squares = channelSums(SquaredDeviationTerm<T>.self, src, src, mean).first
            for c in 0..<channels {
                let variance = squares[c] / n
                rstd[c] = 1 / (variance + eps).squareRoot()
                if let running {
                    let rm = running.mean.pointer(T.self), rv = running.variance.pointer(T.self)
                    rm[c] = T((1 - momentum) * Double(rm[c]) + momentum * mean[c])
                    rv[c] = T((1 - momentum) * Double(rv[c]) + momentum * variance * n / (n - 1))
                }
            }
        } else if let running {
            let rm = running.mean.pointer(T.self), rv = running.variance.pointer(T.self)
            for c in 0..<channels {
                mean[c] = Double(rm[c])
                rstd[c] = 1 / (Double(rv[c]) + eps).squareRoot()
            }
        }
    }

    /// out = (x - mean) * (w * rstd) + b with the channel statistics in `stats`.
    func forward<T: FloatElement>(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ out: Tensor, _ stats: Tensor, _: T.Type) {
        let mean = stats.pointer(Double.self), rstd = mean + channels
        let wp = w.pointer(T.self), bp = b.pointer(T.self)
        var coefficients = [T](repeating: 0, count: 4 * channels)
        for c in 0..<channels {
            coefficients[channels + c] = T(Double(wp[c]) * rstd[c])
            coefficients[2 * channels + c] = bp[c]
            coefficients[3 * channels + c] = T(mean[c])
        }
        affineRows(out.pointer(T.self), x.pointer(T.self), nil, coefficients)
    }

    /// The input gradient into `dx` and the weight and bias gradients into `dw` and `db` (each
    /// only when given). With x̂ = (x - mean)·rstd and n values per channel, training gives
    /// dx = w·rstd·(g - Σg/n - x̂·Σ(g·x̂)/n) (the statistics depend on x), evaluation
    /// dx = w·rstd·g; dw = Σ g·x̂, db = Σ g.
    func backward<T: FloatElement>(_ x: Tensor, _ w: Tensor, _ stats: Tensor, _ g: Tensor,
                                   _ dx: Tensor?, _ dw: Tensor?, _ db: Tensor?, training: Bool, _: T.Type) {
        let src = x.pointer(T.self), gp = g.pointer(T.self), wp = w.pointer(T.self)
        let mean = stats.pointer(Double.self), rstd = mean + channels
        // Σg and Σg·(x - mean) per channel; Σg·x̂ = rstd·Σg·(x - mean).
        let (sumG, sumGX) = channelSums(GradientTerm<T>.self, src, gp, mean)
        let sumGXhat = (0..<channels).map { sumGX[$0] * rstd[$0] }
        if let dw {
            let p = dw.pointer(T.self)
            for c in 0..<channels { p[c] = T(sumGXhat[c]) }
        }
        if let db {
            let p = db.pointer(T.self)
            for c in 0..<channels { p[c] = T(sumG[c]) }
        }
        guard let dx else { return }
        // dx = g·k + (x - mean)·q + m
        let n = Double(perChannel)
        var coefficients = [T](repeating: 0, count: 4 * channels)
        for c in 0..<channels {
            let a = Double(wp[c]) * rstd[c]
            coefficients[c] = T(a)
            coefficients[channels + c] = training ? T(-a * sumGXhat[c] / n * rstd[c]) : 0
            coefficients[2 * channels + c] = training ? T(-a * sumG[c] / n) : 0
            coefficients[3 * channels + c] = T(mean[c])
        }
        affineRows(dx.pointer(T.self), src, gp, coefficients)
    }
}
