/// Resampling of (N, C, L) and (N, C, H, W) inputs to a new size (PyTorch's interpolate and
/// Upsample): each output element is a fixed weighted sum of at most two inputs per axis,
/// indices and weights computed as PyTorch computes them (in the input's precision; in float
/// for 'nearest'). The op is linear in its input: its backward is its adjoint (scattering each
/// output gradient back with the same weights), whose backward is the resampling again.
public enum InterpolationMode: Int32, Sendable {
    /// Output i copies input min(floor(i · scale), L - 1), scale = 1 / scale_factor or L / out
    /// (PyTorch's 'nearest').
    case nearest = 0
    /// Linear interpolation along L of (N, C, L) ('linear').
    case linear = 1
    /// Linear interpolation along H and W of (N, C, H, W) ('bilinear').
    case bilinear = 2

    /// PyTorch's name of the mode.
    public var name: String {
        switch self {
        case .nearest: "nearest"
        case .linear: "linear"
        case .bilinear: "bilinear"
        }
    }
}

extension Ops {
    /// PyTorch's interpolate of `x` (N, C, L) or (N, C, H, W): to `size`, or with `scaleFactor`
    /// to floor(in · scale) per axis, the factor then also setting the sampling step; exactly
    /// one of the two is given, one value for every spatial axis or one per axis. With
    /// `alignCorners` (linear modes only) the corner samples of input and output coincide.
    public static func interpolate(_ x: Tensor, size: [Int]?, scaleFactor: [Double]?, mode: InterpolationMode,
                                   alignCorners: Bool = false) throws -> Tensor {
        if halfOnly(x) {
            return try half(interpolate(single(x), size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners))
        }
        let op = "interpolate"
        guard x.rank == 3 || x.rank == 4 else {
            throw EngineError.invalidArgument("\(op): input must be 3-D (N, C, L) or 4-D (N, C, H, W), got \(describe(x.shape))")
        }
        let spatial = x.rank - 2
        guard mode == .nearest || (mode == .linear) == (spatial == 1) else {
            throw EngineError.invalidArgument("\(op): mode '\(mode.name)' needs a \(mode == .linear ? 3 : 4)-D input, got \(describe(x.shape))")
        }
        guard !alignCorners || mode != .nearest else {
            throw EngineError.invalidArgument("\(op): align_corners can only be set with the interpolating modes linear and bilinear")
        }
        guard x.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): input must be float16, float32 or float64, got \(x.dtype.name)")
        }
        let inner = Array(x.shape.suffix(spatial))
        guard x.shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw EngineError.invalidArgument("\(op): the channel and spatial sizes of input \(describe(x.shape)) must be positive")
        }
        func perAxis<V>(_ values: [V], _ name: String) throws -> [V] {
            guard values.count == 1 || values.count == spatial else {
                throw EngineError.invalidArgument("\(op): \(name) needs 1 or \(spatial) values, got \(values.count)")
            }
            return values.count == 1 ? Array(repeating: values[0], count: spatial) : values
        }
        var outer = [Int](), scales = [Double?](repeating: nil, count: spatial)
        switch (size, scaleFactor) {
        case (let size?, nil):
            outer = try perAxis(size, "size")
            guard outer.allSatisfy({ $0 > 0 }) else {
                throw EngineError.invalidArgument("\(op): output sizes must be positive, got \(outer)")
            }
        case (nil, let factors?):
            let factors = try perAxis(factors, "scale_factor")
            for (axis, (n, factor)) in zip(inner, factors).enumerated() {
                guard factor.isFinite && factor > 0 else {
                    throw EngineError.invalidArgument("\(op): scale factors must be positive and finite, got \(factor)")
                }
                let product = (Double(n) * factor).rounded(.down)
                guard product >= 1 else {
                    throw EngineError.invalidArgument("\(op): scale factor \(factor) gives an empty output for size \(n)")
                }
                guard product < 0x1p60 else { throw EngineError.outOfMemory("\(op): scale factor \(factor) is too large") }
                outer.append(Int(product))
                scales[axis] = factor
            }
        default:
            throw EngineError.invalidArgument("\(op): exactly one of size and scale_factor must be given")
        }
        let rows = spatial == 2 ? ResampleAxis(size: inner[0], count: outer[0], factor: scales[0], mode: mode, alignCorners: alignCorners)
                                : ResampleAxis(size: 1, count: 1, factor: nil, mode: .nearest, alignCorners: false)
        let columns = ResampleAxis(size: inner[spatial - 1], count: outer[spatial - 1], factor: scales[spatial - 1],
                                   mode: mode, alignCorners: alignCorners)
        let geometry = ResampleGeometry(planes: x.shape[0] * x.shape[1], rows: rows, columns: columns)
        return try resample(op, x, geometry, outShape: Array(x.shape.prefix(2)) + outer)
    }

    /// Forward and backward of a resampling with a checked geometry.
    private static func resample(_ op: String, _ x: Tensor, _ geometry: ResampleGeometry, outShape: [Int]) throws -> Tensor {
        let out = try Tensor(shape: outShape, dtype: x.dtype, op: op)
        func run<T: FloatElement>(_: T.Type) { geometry.forward(x.pointer(T.self), out.pointer(T.self)) }
        try x.dtype.dispatchFloat(op, run, run)
        let inputShape = x.shape
        return try out.recording(op, [x]) { g in [try resampleAdjoint(op, g, geometry, inputShape: inputShape)] }
    }

    /// The input gradient of a resampling: each output gradient added back to the inputs it
    /// was read from, with the same weights. Linear in `g`: its backward is the resampling.
    private static func resampleAdjoint(_ op: String, _ g: Tensor, _ geometry: ResampleGeometry,
                                        inputShape: [Int]) throws -> Tensor {
        let name = op + "_backward"
        let dx = try Tensor(shape: inputShape, dtype: g.dtype, zeroed: true, op: name)
        func run<T: FloatElement>(_: T.Type) { geometry.adjoint(g.pointer(T.self), dx.pointer(T.self)) }
        try g.dtype.dispatchFloat(name, run, run)
        let outShape = g.shape
        return try dx.recording(name, [g]) { gg in [try resample(op, gg, geometry, outShape: outShape)] }
    }
}

/// How one axis of `size` inputs is resampled to `count` outputs.
struct ResampleAxis {
    let size, count: Int
    /// The user's scale factor, when the output size came from it.
    let factor: Double?
    let mode: InterpolationMode
    let alignCorners: Bool

    /// Inputs read per output: 1 for 'nearest' (and an unchanged size), else 2.
    var taps: Int { mode == .nearest || size == count ? 1 : 2 }

    /// The `taps` input indices and weights of every output, in `T` (PyTorch's rules:
    /// `nearest_idx` in float, `compute_source_index_and_lambda` in the op's precision).
    func table<T: FloatElement>(_: T.Type) -> (index: [Int], weight: [T]) {
        if size == count { return (Array(0..<count), [T](repeating: 1, count: count)) }
        if mode == .nearest {
            if count == 2 * size { return ((0..<count).map { $0 >> 1 }, [T](repeating: 1, count: count)) }
            let scale = factor.map { Float(1 / $0) } ?? Float(size) / Float(count)
            return ((0..<count).map { min(Int((Float($0) * scale).rounded(.down)), size - 1) }, [T](repeating: 1, count: count))
        }
        let ratio: T = alignCorners ? (count > 1 ? T(size - 1) / T(count - 1) : 0)
                                    : factor.map { T(1 / $0) } ?? T(size) / T(count)
        var index = [Int](), weight = [T]()
        for i in 0..<count {
            let real = alignCorners ? ratio * T(i) : max(ratio * (T(i) + 0.5) - 0.5, 0)
            let first = min(Int(real.rounded(.down)), size - 1)
            let lambda = min(max(real - T(first), 0), 1)
            index += [first, first < size - 1 ? first + 1 : first]
            weight += [1 - lambda, lambda]
        }
        return (index, weight)
    }
}

/// The sizes of a resampling: `planes` planes of rows × columns; 1-D resamplings have one row.
struct ResampleGeometry {
    let planes: Int
    let rows, columns: ResampleAxis

    /// out[p, i, j] = Σ_a Σ_b wr[i, a] · wc[j, b] · x[p, r[i, a], c[j, b]].
    func forward<T: FloatElement>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
        // (An empty output allocated nothing: its sizes may be anything.)
        guard planes > 0 && rows.count > 0 && columns.count > 0 else { return }
        let (r, wr) = rows.table(T.self), (c, wc) = columns.table(T.self)
        let (tr, tc) = (rows.taps, columns.taps)
        let plane = rows.size * columns.size, positions = rows.count * columns.count
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(positions, 1))) { range in
            for p in range {
                let source = x + p * plane, target = out + p * positions
                for i in 0..<rows.count {
                    for j in 0..<columns.count {
                        var total: T = 0
                        for a in 0..<tr {
                            let line = source + r[i * tr + a] * columns.size
                            var partial: T = 0
                            for b in 0..<tc { partial += wc[j * tc + b] * line[c[j * tc + b]] }
                            total += wr[i * tr + a] * partial
                        }
                        target[i * columns.count + j] = total
                    }
                }
            }
        }
    }

    /// The adjoint of `forward`: adds wr[i, a] · wc[j, b] · g[p, i, j] into the zeroed
    /// dx[p, r[i, a], c[j, b]].
    func adjoint<T: FloatElement>(_ g: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>) {
        guard planes > 0 && rows.count > 0 && columns.count > 0 else { return }
        let (r, wr) = rows.table(T.self), (c, wc) = columns.table(T.self)
        let (tr, tc) = (rows.taps, columns.taps)
        let plane = rows.size * columns.size, positions = rows.count * columns.count
        Parallel.forRanges(planes, grain: max(1, Parallel.minimumElements / max(positions, 1))) { range in
            for p in range {
                let source = g + p * positions, target = dx + p * plane
                for i in 0..<rows.count {
                    for a in 0..<tr {
                        let line = target + r[i * tr + a] * columns.size, weight = wr[i * tr + a]
                        for j in 0..<columns.count {
                            let share = weight * source[i * columns.count + j]
                            for b in 0..<tc { line[c[j * tc + b]] += wc[j * tc + b] * share }
                        }
                    }
                }
            }
        }
    }
}
