import Dispatch

/// Convolution (cross-correlation, as PyTorch and PyDyNet) lowered to matrix products: a chunk
/// of images is unrolled by `im2col` into a (Cin·KH·KW, images·positions) matrix whose block of
/// each image is multiplied by the (Cout, Cin·KH·KW) weight through BLAS, straight into the
/// output; backward multiplies the output gradient by the same lowered input (weight gradient)
/// and by the weight (input gradient, folded back by `col2im`). Chunks are shared between the
/// cores. 1-D convolution is the 2-D one over images of height 1.
extension Ops {
    /// 1-D convolution of `x` (N, Cin, L) with `weight` (Cout, Cin, K), zero padding on both
    /// sides, plus `bias` (any shape with Cout elements) when given. Result (N, Cout, Lout).
    public static func conv1d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try half(conv1d(single(x), single(weight), bias: single(bias), stride: stride, padding: padding))
        }
        let op = "conv1d"
        guard x.rank == 3 else {
            throw EngineError.invalidArgument("\(op): input must be 3-D (N, C, L), got \(describe(x.shape))")
        }
        guard weight.rank == 3 else {
            throw EngineError.invalidArgument("\(op): weight must be 3-D (out_channels, in_channels, kernel_size), got \(describe(weight.shape))")
        }
        let (n, c, l, k) = (x.shape[0], x.shape[1], x.shape[2], weight.shape[2])
        let (x, weight, bias) = try checkOperands(op, x, weight, bias)
        let geometry = try WindowGeometry(op: op, batch: n, channels: c, height: 1, width: l,
                                          kernel: (1, k), stride: (1, stride), padding: (0, padding), oneDimensional: true)
        return try convolve(op, x, weight, bias, geometry, outShape: [n, weight.shape[0], geometry.outW])
    }

    /// 2-D convolution of `x` (N, Cin, H, W) with `weight` (Cout, Cin, KH, KW), the same stride
    /// and zero padding on both axes, plus `bias` (any shape with Cout elements) when given.
    /// Result (N, Cout, Hout, Wout).
    public static func conv2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try half(conv2d(single(x), single(weight), bias: single(bias), stride: stride, padding: padding))
        }
        let op = "conv2d"
        guard x.rank == 4 else {
            throw EngineError.invalidArgument("\(op): input must be 4-D (N, C, H, W), got \(describe(x.shape))")
        }
        guard weight.rank == 4 else {
            throw EngineError.invalidArgument("\(op): weight must be 4-D (out_channels, in_channels, kH, kW), got \(describe(weight.shape))")
        }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let (x, weight, bias) = try checkOperands(op, x, weight, bias)
        let geometry = try WindowGeometry(op: op, batch: n, channels: c, height: h, width: w,
                                          kernel: (kh, kw), stride: (stride, stride), padding: (padding, padding), oneDimensional: false)
        return try convolve(op, x, weight, bias, geometry, outShape: [n, weight.shape[0], geometry.outH, geometry.outW])
    }

    /// PyTorch's conv_transpose1d of `x` (N, Cin, L) with `weight` (Cin, Cout, K): the input
    /// gradient of conv1d, of length (L - 1)·stride - 2·padding + K + outputPadding
    /// (outputPadding < stride), plus `bias` (Cout elements) when given.
    public static func convTranspose1d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                       outputPadding: Int = 0) throws -> Tensor {
        guard x.rank == 3 else {
            throw EngineError.invalidArgument("conv_transpose1d: input must be 3-D (N, C, L), got \(describe(x.shape))")
        }
        guard weight.rank == 3 else {
            throw EngineError.invalidArgument("conv_transpose1d: weight must be 3-D (in_channels, out_channels, kernel_size), got \(describe(weight.shape))")
        }
        return try convolveTransposed("conv_transpose1d", x, weight, bias, stride: (1, stride), padding: (0, padding),
                                      outputPadding: (0, outputPadding))
    }

    /// PyTorch's conv_transpose2d of `x` (N, Cin, H, W) with `weight` (Cin, Cout, KH, KW): the
    /// input gradient of conv2d, of size (H - 1)·stride - 2·padding + KH + outputPadding (and
    /// likewise for W; outputPadding < stride), plus `bias` (Cout elements) when given.
    /// Strides, paddings and output paddings are (height, width) pairs.
    public static func convTranspose2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                       padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0)) throws -> Tensor {
        guard x.rank == 4 else {
            throw EngineError.invalidArgument("conv_transpose2d: input must be 4-D (N, C, H, W), got \(describe(x.shape))")
        }
        guard weight.rank == 4 else {
            throw EngineError.invalidArgument("conv_transpose2d: weight must be 4-D (in_channels, out_channels, kH, kW), got \(describe(weight.shape))")
        }
        return try convolveTransposed("conv_transpose2d", x, weight, bias, stride: stride, padding: padding,
                                      outputPadding: outputPadding)
    }

    /// A transposed convolution of rank-checked operands (1-D as height 1): the convolution
    /// whose input gradient it is, run backward by `convolutionInputGradient`, so that it and
    /// the convolution differentiate each other to any order.
    private static func convolveTransposed(_ op: String, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int),
                                           padding: (Int, Int), outputPadding: (Int, Int)) throws -> Tensor {
        if halfOnly(x, weight, bias) {
            return try half(convolveTransposed(op, single(x), single(weight), single(bias), stride: stride, padding: padding,
                                               outputPadding: outputPadding))
        }
        let oneDimensional = x.rank == 3
        func text(_ pair: (Int, Int)) -> String { oneDimensional ? "\(pair.1)" : "(\(pair.0), \(pair.1))" }
        let promoted = try promotedToCommonFloat(op, [("input", x), ("weight", weight), ("bias", bias)])
        let (x, weight, bias) = (promoted[0]!, promoted[1]!, promoted[2])
        guard x.shape[1] == weight.shape[0] else {
            throw EngineError.shapeMismatch("\(op): input has \(x.shape[1]) channels, weight expects \(weight.shape[0])")
        }
        let outChannels = weight.shape[1]
        if let bias {
            guard bias.count == outChannels else {
                throw EngineError.shapeMismatch("\(op): bias must have \(outChannels) elements (one per output channel), got shape \(describe(bias.shape))")
            }
        }
        guard stride.0 > 0 && stride.1 > 0 else { throw EngineError.invalidArgument("\(op): stride must be positive, got \(text(stride))") }
        guard padding.0 >= 0 && padding.1 >= 0 else {
            throw EngineError.invalidArgument("\(op): padding must be non-negative, got \(text(padding))")
        }
        guard outputPadding.0 >= 0 && outputPadding.1 >= 0 && outputPadding.0 < stride.0 && outputPadding.1 < stride.1 else {
            throw EngineError.invalidArgument("\(op): output_padding must be non-negative and smaller than the stride, got \(text(outputPadding)) with stride \(text(stride))")
        }
        let (inH, inW) = oneDimensional ? (1, x.shape[2]) : (x.shape[2], x.shape[3])
        let (kh, kw) = oneDimensional ? (1, weight.shape[2]) : (weight.shape[2], weight.shape[3])
        guard kh > 0 && kw > 0 else { throw EngineError.invalidArgument("\(op): kernel size must be positive, got \(text((kh, kw)))") }
        guard inH > 0 && inW > 0 else { throw EngineError.invalidArgument("\(op): input size \(text((inH, inW))) must be positive") }
        /// (size - 1)·stride - 2·padding + kernel + outputPadding, or nil on overflow.
        func outSize(_ size: Int, _ stride: Int, _ padding: Int, _ kernel: Int, _ extra: Int) -> Int? {
            let (steps, o1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (reach, o2) = kernel.addingReportingOverflow(extra)
            let (span, o3) = steps.addingReportingOverflow(reach)
            let (pads, o4) = padding.multipliedReportingOverflow(by: 2)
            return o1 || o2 || o3 || o4 || span >= 1 << 60 ? nil : span - pads
        }
        guard let outH = outSize(inH, stride.0, padding.0, kh, outputPadding.0),
              let outW = outSize(inW, stride.1, padding.1, kw, outputPadding.1) else {
            throw EngineError.outOfMemory("\(op): the output size overflows")
        }
        guard outH > 0 && outW > 0 else {
            throw EngineError.invalidArgument("\(op): output size \(text((outH, outW))) is not positive (padding too large)")
        }
        let geometry = try WindowGeometry(op: op, batch: x.shape[0], channels: outChannels, height: outH, width: outW,
                                          kernel: (kh, kw), stride: stride, padding: padding, oneDimensional: oneDimensional)
        guard geometry.outH == inH && geometry.outW == inW else {
            throw EngineError.invalidState("\(op): the convolution of the output does not have the input's size")
        }
        let outShape = [x.shape[0], outChannels] + (oneDimensional ? [outW] : [outH, outW])
        let out = try convolutionInputGradient(op, x, weight, geometry, inputShape: outShape)
        guard let bias else { return out }
        return try add(out, reshape(bias, [1, outChannels] + [Int](repeating: 1, count: outShape.count - 2)))
    }

    /// The operands promoted to their common float dtype, after checking the channel counts and
    /// bias size (shared by both convolutions).
    private static func checkOperands(_ op: String, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?) throws -> (Tensor, Tensor, Tensor?) {
        let promoted = try promotedToCommonFloat(op, [("input", x), ("weight", weight), ("bias", bias)])
        let (x, weight, bias) = (promoted[0]!, promoted[1]!, promoted[2])
        guard x.shape[1] == weight.shape[1] else {
            throw EngineError.shapeMismatch("\(op): input has \(x.shape[1]) channels, weight expects \(weight.shape[1])")
        }
        if let bias {
            guard bias.count == weight.shape[0] else {
                throw EngineError.shapeMismatch("\(op): bias must have \(weight.shape[0]) elements (one per output channel), got shape \(describe(bias.shape))")
            }
        }
        return (x, weight, bias)
    }

    /// Forward and backward of a convolution with checked operands and geometry. The backward
    /// is made of ops: `convolutionInputGradient`, `convolutionWeightGradient` and, for the
    /// bias, sums of the output gradient.
    private static func convolve(_ op: String, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?,
                                 _ geometry: WindowGeometry, outShape: [Int]) throws -> Tensor {
        let out = try Tensor(shape: outShape, dtype: x.dtype, op: op)
        let plan = try ConvolutionPlan(op, geometry, outChannels: weight.shape[0])
        func run<T: BLASScalar>(_ type: T.Type) throws { try plan.forward(x, weight, bias, out, type) }
        try x.dtype.dispatchFloat(op, run, run)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return try out.recording(op, inputs) { g in
            var grads = [x.requiresGrad ? try convolutionInputGradient(op, g, weight, geometry, inputShape: x.shape) : nil,
                         weight.requiresGrad ? try convolutionWeightGradient(op, g, x, geometry, weightShape: weight.shape) : nil]
            if let bias {
                // Per channel: the sum over each output plane, then over the images.
                let planes = try sum(g, axes: Array(2..<g.rank))
                grads.append(bias.requiresGrad ? try reshape(sum(planes, axes: [0]), bias.shape) : nil)
            }
            return grads
        }
    }

    /// dx = col2im(weightᵀ · g): the input gradient of a convolution, a transposed convolution
    /// of the output gradient `g`. Bilinear in (g, weight); its own gradients are the
    /// convolution of the incoming gradient with `weight` and `convolutionWeightGradient`.
    private static func convolutionInputGradient(_ op: String, _ g: Tensor, _ weight: Tensor, _ geometry: WindowGeometry,
                                                 inputShape: [Int]) throws -> Tensor {
        let name = op + "_input_backward"
        let dx = try Tensor(shape: inputShape, dtype: g.dtype, zeroed: true, op: name)
        let plan = try ConvolutionPlan(op, geometry, outChannels: weight.shape[0])
        func run<T: BLASScalar>(_ type: T.Type) throws { try plan.inputGradient(weight, g, dx, type) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape
        return try dx.recording(name, [g, weight]) { gg in
            [g.requiresGrad ? try convolve(op, gg, weight, nil, geometry, outShape: outShape) : nil,
             weight.requiresGrad ? try convolutionWeightGradient(op, g, gg, geometry, weightShape: weight.shape) : nil]
        }
    }

    /// dweight = g · colᵀ, with col the lowered input `x`: the weight gradient of a convolution.
    /// Bilinear in (g, x); its own gradients are the convolution of `x` with the incoming
    /// gradient and `convolutionInputGradient`.
    private static func convolutionWeightGradient(_ op: String, _ g: Tensor, _ x: Tensor, _ geometry: WindowGeometry,
                                                  weightShape: [Int]) throws -> Tensor {
        let name = op + "_weight_backward"
        let dw = try Tensor(shape: weightShape, dtype: g.dtype, zeroed: true, op: name)
        let plan = try ConvolutionPlan(op, geometry, outChannels: weightShape[0])
        func run<T: BLASScalar>(_ type: T.Type) throws { try plan.weightGradient(x, g, dw, type) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape, inputShape = x.shape
        return try dw.recording(name, [g, x]) { gg in
            [g.requiresGrad ? try convolve(op, x, gg, nil, geometry, outShape: outShape) : nil,
             x.requiresGrad ? try convolutionInputGradient(op, g, gg, geometry, inputShape: inputShape) : nil]
        }
    }
}

/// How a convolution is computed: its geometry and how many images are lowered at once.
private struct ConvolutionPlan {
    let op: String
    let geometry: WindowGeometry
    let outChannels: Int
    /// Images lowered at once: few enough that the lowered chunk stays near `chunkElements`
    /// (one image at least) and that every core gets a chunk.
    let chunk: Int
    /// Elements of scratch memory a chunk needs: its lowered input.
    let scratchElements: Int

    /// Lowered elements per chunk (1 MB of float32): small enough to stay in cache between
    /// im2col and the products that read it.
    static let chunkElements = 1 << 18

    /// Picks the chunk size (several chunks when the batch allows, so the cores can share
    /// them); fails when a lowered image is too large for BLAS (2^31 - 1 rows or columns) or
    /// for memory.
    init(_ op: String, _ geometry: WindowGeometry, outChannels: Int) throws {
        self.op = op
        self.geometry = geometry
        self.outChannels = outChannels
        let limit = Int(Int32.max)
        let tooLarge = EngineError.outOfMemory("\(op): lowered input of \(geometry.patch) x \(geometry.positions) per image is too large")
        let (perImage, overflow) = geometry.patch.multipliedReportingOverflow(by: geometry.positions)
        guard !overflow, geometry.patch <= limit, geometry.positions <= limit, outChannels <= limit else { throw tooLarge }
        let perWorker = (geometry.batch + Parallel.threads - 1) / Parallel.threads
        chunk = max(1, min(perWorker, ConvolutionPlan.chunkElements / max(perImage, 1), limit / max(geometry.positions, 1)))
        let (columns, o1) = chunk.multipliedReportingOverflow(by: geometry.positions)
        let (total, o2) = geometry.patch.multipliedReportingOverflow(by: columns)
        guard !o1, !o2, total <= Int.max / 8 / Parallel.threads else { throw tooLarge }
        scratchElements = total
    }

    /// Calls `body(first, count, scratch, worker, parallel)` for every chunk of images
    /// `first..<first + count`, with `scratchElements` of scratch memory per worker. With
    /// several chunks, workers take contiguous runs of chunks on their own cores in a parallel
    /// region, their products each on its own thread (for these mid-sized products faster than
    /// splitting each one); `parallel` is then false, telling `body` not to split its own loops.
    /// A single chunk runs on the calling thread with `parallel` true, its products split.
    private func forEachChunk<T>(_: T.Type, _ body: (Int, Int, UnsafeMutablePointer<T>, Int, Bool) -> Void) throws {
        let chunks = (geometry.batch + chunk - 1) / chunk
        let workers = min(Parallel.threads, chunks)
        let storage = try Storage(byteCount: workers * scratchElements * MemoryLayout<T>.stride, op: op)
        let scratch = storage.bytes.assumingMemoryBound(to: T.self)
        if workers <= 1 {
            for first in stride(from: 0, to: geometry.batch, by: chunk) {
                body(first, min(chunk, geometry.batch - first), scratch, 0, true)
            }
            return
        }
        Parallel.inRegion {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for c in chunks * worker / workers..<chunks * (worker + 1) / workers {
                    let first = c * chunk
                    body(first, min(chunk, geometry.batch - first), scratch + worker * scratchElements, worker, false)
                }
            }
        }
    }

    /// out = weight ⋆ x (+ bias), chunk by chunk.
    func forward<T: BLASScalar>(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ out: Tensor, _: T.Type) throws {
        let g = geometry, cout = outChannels, positions = g.positions
        let xp = x.pointer(T.self), wp = weight.pointer(T.self)
        let yp = out.pointer(T.self), bp = bias?.pointer(T.self)
        guard out.count > 0 else { return }
        guard g.patch > 0 else {
            // No input channels: every output plane is its channel's bias (or 0).
            for plane in 0..<g.batch * cout {
                (yp + plane * positions).update(repeating: bp?[plane % cout] ?? 0, count: positions)
            }
            return
        }
        try forEachChunk(T.self) { first, count, col, _, parallel in
            let columns = count * positions
            g.im2col(xp, first: first, count: count, into: col, parallel: parallel)
            // One product per image, straight into its (Cout, positions) output block, which
            // starts as the bias (faster than one wide product and a copy, measured).
            for image in 0..<count {
                let target = yp + (first + image) * cout * positions
                if let bp {
                    for channel in 0..<cout { (target + channel * positions).update(repeating: bp[channel], count: positions) }
                }
                T.gemm(false, false, cout, positions, g.patch, wp, g.patch, col + image * positions, columns,
                       beta: bp == nil ? 0 : 1, target, positions)
            }
        }
    }

    /// Adds the input gradient col2im(weightᵀ · g) into the zeroed `dx`, chunk by chunk.
    func inputGradient<T: BLASScalar>(_ weight: Tensor, _ gradient: Tensor, _ dx: Tensor, _: T.Type) throws {
        let g = geometry, cout = outChannels, positions = g.positions
        guard gradient.count > 0, g.patch > 0 else { return }
        let gp = gradient.pointer(T.self), wp = weight.pointer(T.self)
        try forEachChunk(T.self) { first, count, col, _, parallel in
            let columns = count * positions
            for image in 0..<count {
                T.gemm(true, false, g.patch, positions, cout, wp, g.patch, gp + (first + image) * cout * positions, positions,
                       beta: 0, col + image * positions, columns)
            }
            g.col2im(col, first: first, count: count, into: dx.pointer(T.self), parallel: parallel)
        }
    }

    /// Adds the weight gradient g · colᵀ into the zeroed `dw`, chunk by chunk: worker 0 into
    /// `dw` itself, the others into zeroed partial sums added at the end.
    func weightGradient<T: BLASScalar>(_ x: Tensor, _ gradient: Tensor, _ dw: Tensor, _: T.Type) throws {
        let g = geometry, cout = outChannels, positions = g.positions
        guard gradient.count > 0, g.patch > 0 else { return }
        let gp = gradient.pointer(T.self), xp = x.pointer(T.self)
        let partials = try Storage(byteCount: (Parallel.threads - 1) * cout * g.patch * MemoryLayout<T>.stride, zeroed: true, op: op)
        try forEachChunk(T.self) { first, count, col, worker, parallel in
            let columns = count * positions
            let target = worker == 0 ? dw.pointer(T.self)
                : partials.bytes.assumingMemoryBound(to: T.self) + (worker - 1) * cout * g.patch
            g.im2col(xp, first: first, count: count, into: col, parallel: parallel)
            for image in 0..<count {
                T.gemm(false, true, cout, g.patch, positions, gp + (first + image) * cout * positions, positions,
                       col + image * positions, columns, beta: 1, target, g.patch)
            }
        }
        let target = dw.pointer(T.self), extra = partials.bytes.assumingMemoryBound(to: T.self)
        for i in 0..<(Parallel.threads - 1) * cout * g.patch { target[i % (cout * g.patch)] += extra[i] }
    }
}
