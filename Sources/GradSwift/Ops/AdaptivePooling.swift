/// Adaptive max and average pooling (PyTorch's): the last one or two axes are cut into a
/// requested number of windows per axis, window i of n over a size-L axis covering
/// floor(i·L/n) ..< ceil((i+1)·L/n), so neighbouring windows may overlap and differ in size.
/// Inputs are (N, C, L) or unbatched (C, L) for 1-D, (N, C, H, W) or (C, H, W) for 2-D; an
/// output size of `nil` keeps the input's size on that axis. Max pooling sends the gradient to
/// each window's first maximum (a NaN wins), through the winner scatter and gather of
/// `Ops.maxPool2d`; average pooling is linear and its backward is its adjoint.
extension Ops {
    /// Adaptive max pooling of (N, C, L) or (C, L) to `outputSize` windows (`nil`: L).
    public static func adaptiveMaxPool1d(_ x: Tensor, outputSize: Int?) throws -> Tensor {
        try adaptivePool(.max, "adaptive_max_pool1d", x, [outputSize])
    }

    /// Adaptive max pooling of (N, C, H, W) or (C, H, W) to `outputSize` (height, width)
    /// windows (`nil` keeps that size).
    public static func adaptiveMaxPool2d(_ x: Tensor, outputSize: (Int?, Int?)) throws -> Tensor {
        try adaptivePool(.max, "adaptive_max_pool2d", x, [outputSize.0, outputSize.1])
    }

    /// Adaptive average pooling of (N, C, L) or (C, L) to `outputSize` windows (`nil`: L).
    public static func adaptiveAvgPool1d(_ x: Tensor, outputSize: Int?) throws -> Tensor {
        try adaptivePool(.average, "adaptive_avg_pool1d", x, [outputSize])
    }

    /// Adaptive average pooling of (N, C, H, W) or (C, H, W) to `outputSize` (height, width)
    /// windows (`nil` keeps that size).
    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int?, Int?)) throws -> Tensor {
        try adaptivePool(.average, "adaptive_avg_pool2d", x, [outputSize.0, outputSize.1])
    }

    /// Checks the input and sizes, then pools.
    private static func adaptivePool(_ kind: PoolKind, _ op: String, _ x: Tensor, _ sizes: [Int?]) throws -> Tensor {
        if halfOnly(x) { return try half(adaptivePool(kind, op, single(x), sizes)) }
        let spatial = sizes.count
        guard x.rank == spatial + 1 || x.rank == spatial + 2 else {
            let forms = spatial == 1 ? "2-D (C, L) or 3-D (N, C, L)" : "3-D (C, H, W) or 4-D (N, C, H, W)"
            throw EngineError.invalidArgument("\(op): input must be \(forms), got \(describe(x.shape))")
        }
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        let inner = Array(x.shape.suffix(spatial))
        guard x.shape.dropFirst(x.rank - spatial - 1).allSatisfy({ $0 > 0 }) else {
            throw EngineError.invalidArgument("\(op): the channel and spatial sizes of input \(describe(x.shape)) must be positive")
        }
        var outer = [Int]()
        for (size, requested) in zip(inner, sizes) {
            let n = requested ?? size
            guard n >= 0 else { throw EngineError.invalidArgument("\(op): output sizes must be non-negative, got \(n)") }
            // The window bounds compute (i + 1)·L + n - 1 for i < n.
            guard !n.multipliedReportingOverflow(by: size + 1).overflow else {
                throw EngineError.outOfMemory("\(op): output size \(n) is too large")
            }
            outer.append(n)
        }
        let plane = inner.reduce(1, *)
        guard plane <= Int(Int32.max) else {
            throw EngineError.outOfMemory("\(op): input planes of \(plane) elements are too large")
        }
        let geometry = AdaptiveGeometry(planes: x.count / plane, height: spatial == 2 ? inner[0] : 1, width: inner[spatial - 1],
                                        outH: spatial == 2 ? outer[0] : 1, outW: outer[spatial - 1])
        return try adaptivePool(kind, op, x, geometry, outShape: Array(x.shape.dropLast(spatial)) + outer)
    }

    /// Forward and backward of an adaptive pooling with a checked geometry.
    private static func adaptivePool(_ kind: PoolKind, _ op: String, _ x: Tensor, _ geometry: AdaptiveGeometry,
                                     outShape: [Int]) throws -> Tensor {
        let out = try Tensor(shape: outShape, dtype: x.dtype, op: op)
        // Max pooling keeps each window's winner (an offset in its plane) for backward.
        let winners = kind == .max && GradMode.isEnabled && x.requiresGrad
            ? try Storage(byteCount: out.count * MemoryLayout<Int32>.stride, op: op) : nil
        let indices = winners?.bytes.assumingMemoryBound(to: Int32.self)
        func run<T: FloatElement>(_: T.Type) { geometry.forward(kind, x.pointer(T.self), out.pointer(T.self), indices) }
        try x.dtype.dispatchFloat(op, run, run)
        let inputShape = x.shape
        return try out.recording(op, [x]) { g in
            if kind == .average { return [try adaptiveAverageBackward(op, g, geometry, inputShape: inputShape)] }
            // (`winners` exists exactly when a node is recorded for max pooling.)
            guard let winners else { throw EngineError.invalidState("\(op) backward: the window maxima were not recorded") }
            return [try scatterToWinners(op, g, winners, geometry.layout, inputShape: inputShape)]
        }
    }

    /// The input gradient of an adaptive average pooling: each output gradient spread evenly
    /// over its window. Linear in `g`: its backward is the pooling itself.
    private static func adaptiveAverageBackward(_ op: String, _ g: Tensor, _ geometry: AdaptiveGeometry,
                                                inputShape: [Int]) throws -> Tensor {
        let name = op + "_backward"
        let dx = try Tensor(shape: inputShape, dtype: g.dtype, zeroed: true, op: name)
        func run<T: FloatElement>(_: T.Type) { geometry.averageAdjoint(g.pointer(T.self), dx.pointer(T.self)) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape
        return try dx.recording(name, [g]) { gg in [try adaptivePool(.average, op, gg, geometry, outShape: outShape)] }
    }
}

/// The sizes of an adaptive pooling: `planes` planes of height × width pooled to outH × outW
/// (1-D poolings have height and outH 1).
struct AdaptiveGeometry {
    let planes, height, width, outH, outW: Int

    var plane: Int { height * width }
    var positions: Int { outH * outW }
    /// The planes as max pooling's winners index them.
    var layout: PlaneLayout { PlaneLayout(planes: planes, plane: plane, positions: positions) }

    /// Window `i` of `count` over an axis of `size`: floor(i·size/count) ..< ceil((i+1)·size/count).
    @inline(__always)
    static func window(_ i: Int, _ size: Int, _ count: Int) -> Range<Int> {
        (i * size / count)..<(((i + 1) * size + count - 1) / count)
    }

    /// Writes each window's maximum or mean to `out`, and for max pooling the plane offset of
    /// the maximum (the first, or the last NaN, as PyTorch) to `winners` when given.
    func forward<T: FloatElement>(_ kind: PoolKind, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                  _ winners: UnsafeMutablePointer<Int32>?) {
        // (An empty output allocated nothing: its sizes may be anything.)
        guard planes > 0 && positions > 0 else { return }
        let columns = (0..<outW).map { Self.window($0, width, outW) }
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(plane, 1))) { range in
            for p in range {
                let source = x + p * plane
                for oh in 0..<outH {
                    let rows = Self.window(oh, height, outH)
                    for ow in 0..<outW {
                        let cols = columns[ow], o = p * positions + oh * outW + ow
                        switch kind {
                        case .max:
                            var best = -T.infinity, index = rows.lowerBound * width + cols.lowerBound
                            for ih in rows {
                                for iw in cols {
                                    let v = source[ih * width + iw]
                                    if v > best || v.isNaN { (best, index) = (v, ih * width + iw) }
                                }
                            }
                            out[o] = best
                            winners?[o] = Int32(truncatingIfNeeded: index)
                        case .average:
                            var total: T = 0
                            for ih in rows {
                                for iw in cols { total += source[ih * width + iw] }
                            }
                            out[o] = total / T(rows.count * cols.count)
                        }
                    }
                }
            }
        }
    }

    /// Adds each output gradient of `g`, divided by its window's size, to the window's
    /// elements of the zeroed `dx`: the adjoint of average pooling.
    func averageAdjoint<T: FloatElement>(_ g: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) {
        guard planes > 0 && positions > 0 else { return }
        let columns = (0..<outW).map { Self.window($0, width, outW) }
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(plane, 1))) { range in
            for p in range {
                let target = dx + p * plane
                for oh in 0..<outH {
                    let rows = Self.window(oh, height, outH)
                    for ow in 0..<outW {
                        let cols = columns[ow]
                        let share = g[p * positions + oh * outW + ow] / T(rows.count * cols.count)
                        for ih in rows {
                            for iw in cols { target[ih * width + iw] += share }
                        }
                    }
                }
            }
        }
    }
}
