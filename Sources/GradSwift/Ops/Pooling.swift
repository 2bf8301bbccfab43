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
        guard x.rank == 3 else {
            throw EngineError.invalidArgument("\(op): input must be 3-D (N, C, L), got \(describe(x.shape))")
        }
        let geometry = try WindowGeometry(op: op, batch: x.shape[0], channels: x.shape[1], height: 1, width: x.shape[2],
                                          kernel: (1, kernel), stride: (1, stride), padding: (0, padding), oneDimensional: true)
        return try pool(kind, op, x, geometry, outShape: [x.shape[0], x.shape[1], geometry.outW])
    }

    private static func pool2d(_ kind: PoolKind, _ op: String, _ x: Tensor, _ kernel: Int, _ stride: Int, _ padding: Int) throws -> Tensor {
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
            throw EngineError.dtype("\(op): input must be float32 or float64, got \(x.dtype.name)")
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
        if x.dtype == .float32 {
            geometry.poolForward(kind, x.pointer(Float.self), out.pointer(Float.self), indices)
        } else {
            geometry.poolForward(kind, x.pointer(Double.self), out.pointer(Double.self), indices)
        }
        return out.recording(op, [x]) { g in
            let dx = try Tensor(shape: x.shape, dtype: x.dtype, zeroed: true, op: op)
            let winners = winners?.bytes.assumingMemoryBound(to: Int32.self)
            if x.dtype == .float32 {
                geometry.poolBackward(kind, g.pointer(Float.self), dx.pointer(Float.self), winners)
            } else {
                geometry.poolBackward(kind, g.pointer(Double.self), dx.pointer(Double.self), winners)
            }
            return [dx]
        }
    }
}

extension WindowGeometry {
    /// The input rows `lo..<hi` and columns of output (oh, ow)'s window that lie inside the input.
    @inline(__always)
    private func window(_ oh: Int, _ ow: Int) -> (h: Range<Int>, w: Range<Int>) {
        let h0 = oh * strideH - padH, w0 = ow * strideW - padW
        return (max(h0, 0)..<min(h0 + kernelH, height), max(w0, 0)..<min(w0 + kernelW, width))
    }

    /// Writes each window's maximum or mean to `out`, and for max pooling the plane offset of
    /// the maximum to `winners` when given.
    func poolForward<T: FloatElement>(_ kind: PoolKind, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                      _ winners: UnsafeMutablePointer<Int32>?) {
        let scale = 1 / T(kernelH * kernelW)
        Parallel.forRanges(batch * channels, grain: max(1, Parallel.minimumElements / max(plane, 1))) { planes in
            for p in planes {
                let source = x + p * plane
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let (rows, columns) = window(oh, ow)
                        let o = p * positions + oh * outW + ow
                        switch kind {
                        case .max:
                            var best = -T.infinity, at = rows.lowerBound * width + columns.lowerBound
                            for ih in rows {
                                for iw in columns {
                                    let v = source[ih * width + iw]
                                    if v > best || v.isNaN { (best, at) = (v, ih * width + iw) }
                                }
                            }
                            out[o] = best
                            winners?[o] = Int32(truncatingIfNeeded: at)
                        case .average:
                            var sum: T = 0
                            for ih in rows {
                                for iw in columns { sum += source[ih * width + iw] }
                            }
                            out[o] = sum * scale
                        }
                    }
                }
            }
        }
    }

    /// Adds the output gradient `g` into the zeroed `dx`: to each window's recorded maximum, or
    /// spread evenly over the window's input elements.
    func poolBackward<T: FloatElement>(_ kind: PoolKind, _ g: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                       _ winners: UnsafePointer<Int32>?) {
        let scale = 1 / T(kernelH * kernelW)
        Parallel.forRanges(batch * channels, grain: max(1, Parallel.minimumElements / max(plane, 1))) { planes in
            for p in planes {
                let target = dx + p * plane, first = p * positions
                switch kind {
                case .max:
                    guard let winners else { return }
                    for o in first..<first + positions { target[Int(winners[o])] += g[o] }
                case .average:
                    for oh in 0..<outH {
                        for ow in 0..<outW {
                            let (rows, columns) = window(oh, ow)
                            let share = g[first + oh * outW + ow] * scale
                            for ih in rows {
                                for iw in columns { target[ih * width + iw] += share }
                            }
                        }
                    }
                }
            }
        }
    }
}
