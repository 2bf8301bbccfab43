/// Max and average pooling over windows of (N, C, L) or (N, C, H, W) inputs, one pass over
/// each image plane, planes split over the cores. Semantics are PyTorch's: max pooling treats
/// the padding as -inf (PyDyNet pads zeros, which wins over negative inputs) and sends the
/// gradient to the first maximum of each window (a NaN wins); average pooling divides by the
/// full window size, padding included (`count_include_pad=True`).
public enum PoolKind: Sendable {
    case max, average
}

extension Ops {
    /// Max pooling of (N, C, L) over windows of `kernel` elements.
    public static func maxPool1d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
        try pool1d(.max, "max_pool1d", x, kernel, stride, padding)
    }

    /// Max pooling of (N, C, H, W) over `kernel` × `kernel` windows.
    public static func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
        try pool2d(.max, "max_pool2d", x, kernel, stride, padding)
    }

    /// Average pooling of (N, C, L) over windows of `kernel` elements.
    public static func avgPool1d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
        try pool1d(.average, "avg_pool1d", x, kernel, stride, padding)
    }

    /// Average pooling of (N, C, H, W) over `kernel` × `kernel` windows.
    public static func avgPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
        try pool2d(.average, "avg_pool2d", x, kernel, stride, padding)
    }

    private static func pool1d(_ kind: PoolKind, _ op: String, _ x: Tensor, _ kernel: Int, _ stride: Int, _ padding: Int) throws -> Tensor {
        if halfOnly(x) { return try half(pool1d(kind, op, single(x), kernel, stride, padding)) }
        guard x.rank == 3 else {
            throw EngineError.invalidArgument("\(op): input must be 3-D (N, C, L), got \(describe(x.shape))")
        }
        let geometry = try WindowGeometry(op: op, batch: x.shape[0], channels: x.shape[1], height: 1, width: x.shape[2],
                                          kernel: (1, kernel), stride: (1, stride), padding: (0, padding), oneDimensional: true)
        return try pool(kind, op, x, geometry, outShape: [x.shape[0], x.shape[1], geometry.outW])
    }

    private static func pool2d(_ kind: PoolKind, _ op: String, _ x: Tensor, _ kernel: Int, _ stride: Int, _ padding: Int) throws -> Tensor {
        if halfOnly(x) { return try half(pool2d(kind, op, single(x), kernel, stride, padding)) }
        guard x.rank == 4 else {
            throw EngineError.invalidArgument("\(op): input must be 4-D (N, C, H, W), got \(describe(x.shape))")
        }
        let geometry = try WindowGeometry(op: op, batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                          kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding),
                                          oneDimensional: false)
        return try pool(kind, op, x, geometry, outShape: [x.shape[0], x.shape[1], geometry.outH, geometry.outW])
    }

    /// Forward and backward of a pooling with a checked geometry.
    private static func pool(_ kind: PoolKind, _ op: String, _ x: Tensor, _ geometry: WindowGeometry, outShape: [Int]) throws -> Tensor {
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        let kernel = geometry.kernelW
        guard geometry.padW <= kernel / 2 else {
            throw EngineError.invalidArgument("\(op): padding \(geometry.padW) must be at most half the kernel size \(kernel)")
        }
        guard geometry.plane <= Int(Int32.max) else {
            throw EngineError.outOfMemory("\(op): input planes of \(geometry.plane) elements are too large")
        }
        let out = try Tensor(shape: outShape, dtype: x.dtype, op: op)
        // Max pooling keeps each window's winner (an offset in its plane) for backward.
        let winners = kind == .max && GradMode.isEnabled && x.requiresGrad
            ? try Storage(byteCount: out.count * MemoryLayout<Int32>.stride, op: op) : nil
        let indices = winners?.bytes.assumingMemoryBound(to: Int32.self)
        func run<T: FloatElement>(_: T.Type) { geometry.poolForward(kind, x.pointer(T.self), out.pointer(T.self), indices) }
        try x.dtype.dispatchFloat(op, run, run)
        let inputShape = x.shape
        return try out.recording(op, [x]) { g in
            if kind == .average { return [try averagePoolBackward(op, g, geometry, inputShape: inputShape)] }
            // (`winners` exists exactly when a node is recorded for max pooling.)
            guard let winners else { throw EngineError.invalidState("\(op) backward: the window maxima were not recorded") }
            return [try scatterToWinners(op, g, winners, geometry.layout, inputShape: inputShape)]
        }
    }

    /// The input gradient of an average pooling from its output gradient `g`: spread evenly
    /// over each window. Linear in `g`: its backward is the average pooling itself.
    private static func averagePoolBackward(_ op: String, _ g: Tensor, _ geometry: WindowGeometry,
                                            inputShape: [Int]) throws -> Tensor {
        let name = op + "_backward"
        let dx = try Tensor(shape: inputShape, dtype: g.dtype, zeroed: true, op: name)
        func run<T: FloatElement>(_: T.Type) { geometry.averageBackward(g.pointer(T.self), dx.pointer(T.self)) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape
        return try dx.recording(name, [g]) { gg in [try pool(.average, op, gg, geometry, outShape: outShape)] }
    }

    /// The input gradient of a max pooling (fixed or adaptive windows) from its output gradient
    /// `g`: added to each window's recorded maximum, `winners` (an Int32 plane offset per output
    /// element). Linear in `g`: its backward is `selectWinners`.
    static func scatterToWinners(_ op: String, _ g: Tensor, _ winners: Storage, _ layout: PlaneLayout,
                                 inputShape: [Int]) throws -> Tensor {
        let name = op + "_backward"
        let dx = try Tensor(shape: inputShape, dtype: g.dtype, zeroed: true, op: name)
        let at = winners.bytes.assumingMemoryBound(to: Int32.self)
        func run<T: FloatElement>(_: T.Type) { layout.scatter(g.pointer(T.self), at, dx.pointer(T.self)) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape
        return try dx.recording(name, [g]) { gg in [try selectWinners(op, gg, winners, layout, outShape: outShape)] }
    }

    /// Each window's entry of `x` at its recorded maximum: max pooling with the winners fixed,
    /// the backward of `scatterToWinners`, whose own backward is `scatterToWinners` again.
    static func selectWinners(_ op: String, _ x: Tensor, _ winners: Storage, _ layout: PlaneLayout,
                              outShape: [Int]) throws -> Tensor {
        let name = op + "_select"
        let out = try Tensor(shape: outShape, dtype: x.dtype, op: name)
        let at = winners.bytes.assumingMemoryBound(to: Int32.self)
        func run<T: FloatElement>(_: T.Type) { layout.select(x.pointer(T.self), at, out.pointer(T.self)) }
        try x.dtype.dispatchFloat(name, run, run)
        let inputShape = x.shape
        return try out.recording(name, [x]) { g in
            [try scatterToWinners(op, g, winners, layout, inputShape: inputShape)]
        }
    }
}

/// The planes of a pooling as its recorded maxima see them: `planes` image planes of `plane`
/// input elements each, pooled to `positions` outputs each.
struct PlaneLayout {
    let planes, plane, positions: Int

    /// Adds `g[p, o]` to `dx[p, winners[p, o]]` for every plane p and output position o.
    func scatter<T: FloatElement>(_ g: UnsafePointer<T>, _ winners: UnsafePointer<Int32>, _ dx: UnsafeMutablePointer<T>) {
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(plane, 1))) { range in
            for p in range {
                let target = dx + p * plane, first = p * positions
                for o in first..<first + positions { target[Int(winners[o])] += g[o] }
            }
        }
    }

    /// `out[p, o] = x[p, winners[p, o]]` for every plane p and output position o.
    func select<T>(_ x: UnsafePointer<T>, _ winners: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<T>) {
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(positions, 1))) { range in
            for p in range {
                let source = x + p * plane, first = p * positions
                for o in first..<first + positions { out[o] = source[Int(winners[o])] }
            }
        }
    }
}

extension WindowGeometry {
    /// The planes as max pooling's winners index them.
    var layout: PlaneLayout { PlaneLayout(planes: batch * channels, plane: plane, positions: positions) }

    /// The input rows of output row `oh`'s windows that lie inside the input.
    @inline(__always)
    private func rows(_ oh: Int) -> Range<Int> {
        let h0 = oh * strideH - padH
        return max(h0, 0)..<min(h0 + kernelH, height)
    }

    /// Writes each window's maximum or mean to `out`, and for max pooling the plane offset of
    /// the (first) maximum to `winners` when given. Maxima are found window by window, written
    /// so the compiler emits max and cmov rather than branches (random data would mispredict
    /// half of them) unless the plane holds a NaN; averages are built row by row, sweeping each
    /// window offset over the whole output row so the inner loop runs along memory.
    func poolForward<T: FloatElement>(_ kind: PoolKind, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                      _ winners: UnsafeMutablePointer<Int32>?) {
        let scale = 1 / T(kernelH * kernelW)
        let columns = (0..<kernelW).map(validColumns)
        Parallel.forRanges(batch * channels, grain: max(1, Parallel.minimumElements / plane)) { planes in
            // Without `winners`, the offsets of a row's maxima go to scratch space.
            let scratch = winners == nil && kind == .max ? UnsafeMutablePointer<Int32>.allocate(capacity: outW) : nil
            defer { scratch?.deallocate() }
            for p in planes {
                let source = x + p * plane
                var nan: UInt8 = 0
                if kind == .max {
                    for i in 0..<plane { nan |= unsafeBitCast(source[i] != source[i], to: UInt8.self) }
                }
                let hasNaN = nan != 0
                for oh in 0..<outH {
                    let line = out + p * positions + oh * outW
                    let rows = rows(oh)
                    switch kind {
                    case .max:
                        let at = winners.map { $0 + p * positions + oh * outW } ?? scratch!
                        for ow in 0..<outW {
                            let w0 = ow * strideW - padW
                            let first = max(w0, 0), last = min(w0 + kernelW, width)
                            var best = -T.infinity, index = rows.lowerBound &* width &+ first
                            if !hasNaN && last &- first == 2 && rows.count == 2 {
                                // A whole 2×2 window (LeNet's pooling), unrolled.
                                let base = index, top = source + base, bottom = top + width
                                best = top[0]
                                var wins = top[1] > best
                                (index, best) = (wins ? base &+ 1 : index, wins ? top[1] : best)
                                wins = bottom[0] > best
                                (index, best) = (wins ? base &+ width : index, wins ? bottom[0] : best)
                                wins = bottom[1] > best
                                (index, best) = (wins ? base &+ width &+ 1 : index, wins ? bottom[1] : best)
                                line[ow] = best
                                at[ow] = Int32(truncatingIfNeeded: index)
                                continue
                            }
                            var row = index
                            while row < rows.upperBound &* width {
                                var offset = row
                                while offset < row &+ (last &- first) {
                                    let v = source[offset]
                                    if hasNaN {
                                        // PyTorch's rule: a NaN replaces the running maximum.
                                        if v > best || v.isNaN { (best, index) = (v, offset) }
                                    } else {
                                        let greater = v > best
                                        index = greater ? offset : index
                                        best = greater ? v : best
                                    }
                                    offset &+= 1
                                }
                                row &+= width
                            }
                            line[ow] = best
                            at[ow] = Int32(truncatingIfNeeded: index)
                        }
                    case .average:
                        line.update(repeating: 0, count: outW)
                        for ih in rows {
                            for kj in 0..<kernelW {
                                let (lo, hi) = columns[kj]
                                let input = source + ih * width + kj - padW
                                for ow in lo..<hi { line[ow] += input[ow * strideW] }
                            }
                        }
                        for ow in 0..<outW { line[ow] *= scale }
                    }
                }
            }
        }
    }

    /// Adds the output gradient `g` of an average pooling into the zeroed `dx`, spread evenly
    /// over each window's input elements.
    func averageBackward<T: FloatElement>(_ g: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) {
        let scale = 1 / T(kernelH * kernelW)
        let columns = (0..<kernelW).map(validColumns)
        Parallel.forRanges(batch * channels, grain: max(1, Parallel.minimumElements / plane)) { planes in
            for p in planes {
                let target = dx + p * plane, first = p * positions
                for oh in 0..<outH {
                    let line = g + first + oh * outW
                    for ih in rows(oh) {
                        for kj in 0..<kernelW {
                            let (lo, hi) = columns[kj]
                            let output = target + ih * width + kj - padW
                            for ow in lo..<hi { output[ow * strideW] += line[ow] * scale }
                        }
                    }
                }
            }
        }
    }
}
