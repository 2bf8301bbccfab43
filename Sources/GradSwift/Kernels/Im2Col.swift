extension Parallel {
    /// `forRanges` when `parallel`, else `body(0..<count)` on the calling thread.
    @inline(__always)
    static func split(_ count: Int, grain: Int, _ parallel: Bool, _ body: (Range<Int>) -> Void) {
        if parallel {
            forRanges(count, grain: grain, body)
        } else if count > 0 {
            body(0..<count)
        }
    }
}

/// The sizes of a 2-D sliding-window op (convolution or pooling) over an (N, C, H, W) input;
/// 1-D ops use H = 1 with a window of height 1.
struct WindowGeometry {
    let batch, channels, height, width: Int
    let kernelH, kernelW, strideH, strideW, padH, padW: Int
    /// Output height and width: (H + 2·pad - kernel) / stride + 1.
    let outH, outW: Int

    /// Output positions per image plane.
    var positions: Int { outH * outW }
    /// Input elements per image plane.
    var plane: Int { height * width }
    /// Rows of the lowered matrix: one per (channel, kernel row, kernel column).
    var patch: Int { channels * kernelH * kernelW }

    /// Checks the window against the padded input and computes the output size. A 1-D op
    /// (`height` 1, window height 1, no vertical padding) shows sizes as `(w,)` in messages.
    init(op: String, batch: Int, channels: Int, height: Int, width: Int,
         kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), oneDimensional: Bool) throws {
        func text(_ h: Int, _ w: Int) -> String { oneDimensional ? "(\(w),)" : "(\(h), \(w))" }
        guard kernel.0 > 0 && kernel.1 > 0 else {
            throw EngineError.invalidArgument("\(op): kernel size must be positive, got \(text(kernel.0, kernel.1))")
        }
        guard stride.0 > 0 && stride.1 > 0 else {
            throw EngineError.invalidArgument("\(op): stride must be positive, got \(stride.1)")
        }
        guard padding.0 >= 0 && padding.1 >= 0 else {
            throw EngineError.invalidArgument("\(op): padding must be non-negative, got \(padding.1)")
        }
        guard height > 0 && width > 0 else {
            throw EngineError.invalidArgument("\(op): input size \(text(height, width)) must be positive")
        }
        // Every size is below 2^60 (Shape.count), so padding below 2^60 cannot overflow here.
        guard padding.0 < 1 << 60 && padding.1 < 1 << 60 else {
            throw EngineError.outOfMemory("\(op): padding \(padding.1) is too large")
        }
        let paddedH = height + 2 * padding.0, paddedW = width + 2 * padding.1
        guard kernel.0 <= paddedH && kernel.1 <= paddedW else {
            throw EngineError.invalidArgument("\(op): kernel size \(text(kernel.0, kernel.1)) is larger than the padded input \(text(paddedH, paddedW))")
        }
        (self.batch, self.channels, self.height, self.width) = (batch, channels, height, width)
        (kernelH, kernelW, strideH, strideW, padH, padW) = (kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1)
        outH = (paddedH - kernel.0) / stride.0 + 1
        outW = (paddedW - kernel.1) / stride.1 + 1
    }

    /// The output columns `lo..<hi` whose window column `kj` falls inside the input
    /// (the others read padding). The ceiling divisions cannot overflow, whatever the stride.
    @inline(__always)
    func validColumns(_ kj: Int) -> (lo: Int, hi: Int) {
        let offset = kj - padW
        let lo = offset >= 0 ? 0 : min(outW, (-offset - 1) / strideW + 1)
        let hi = width - offset <= 0 ? 0 : min(outW, (width - offset - 1) / strideW + 1)
        return (lo, max(lo, hi))
    }

    /// Lowers images `first..<first + count` of `x` into `col`, a (patch, count·positions)
    /// row-major matrix: row (c, ki, kj), column (image, oh, ow) holds
    /// x[image, c, oh·sh - ph + ki, ow·sw - pw + kj], or 0 in the padding.
    /// Rows are split over the cores when `parallel`.
    func im2col<T: FloatElement>(_ x: UnsafePointer<T>, first: Int, count: Int, into col: UnsafeMutablePointer<T>, parallel: Bool) {
        let rowLength = count * positions
        let grain = max(1, Parallel.minimumElements / max(positions, 1))
        Parallel.split(patch * count, grain: grain, parallel) { range in
            for item in range {
                let row = item / count, image = item % count
                let c = row / (kernelH * kernelW), ki = row / kernelW % kernelH, kj = row % kernelW
                let source = x + ((first + image) * channels + c) * plane
                let target = col + row * rowLength + image * positions
                let (lo, hi) = validColumns(kj)
                for oh in 0..<outH {
                    let ih = oh * strideH - padH + ki
                    let line = target + oh * outW
                    guard ih >= 0 && ih < height else {
                        line.update(repeating: 0, count: outW)
                        continue
                    }
                    line.update(repeating: 0, count: lo)
                    let input = source + ih * width + kj - padW
                    if strideW == 1 {
                        (line + lo).update(from: input + lo, count: hi - lo)
                    } else {
                        for ow in lo..<hi { line[ow] = input[ow * strideW] }
                    }
                    (line + hi).update(repeating: 0, count: outW - hi)
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every entry of `col` (patch, count·positions) into the
    /// element of `dx` it was read from, for images `first..<first + count` (padding entries are
    /// dropped). When `parallel`, work is split over (image, channel) planes, which no two
    /// workers share.
    func col2im<T: FloatElement>(_ col: UnsafePointer<T>, first: Int, count: Int, into dx: UnsafeMutablePointer<T>, parallel: Bool) {
        let rowLength = count * positions
        let grain = max(1, Parallel.minimumElements / max(positions * kernelH * kernelW, 1))
        Parallel.split(count * channels, grain: grain, parallel) { range in
            for item in range {
                let image = item / channels, c = item % channels
                let target = dx + ((first + image) * channels + c) * plane
                for ki in 0..<kernelH {
                    for kj in 0..<kernelW {
                        let row = (c * kernelH + ki) * kernelW + kj
                        let source = col + row * rowLength + image * positions
                        let (lo, hi) = validColumns(kj)
                        for oh in 0..<outH {
                            let ih = oh * strideH - padH + ki
                            guard ih >= 0 && ih < height else { continue }
                            let line = source + oh * outW
                            let output = target + ih * width + kj - padW
                            if strideW == 1 {
                                for ow in lo..<hi { output[ow] += line[ow] }
                            } else {
                                for ow in lo..<hi { output[ow * strideW] += line[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}
