/// Softmax and log-softmax along one axis (or over every element), fused and numerically
/// stable: each row is shifted by its maximum, and sums accumulate in double precision.
extension Ops {
    /// e^x / Σ e^x along `axis` (`nil`: over every element, PyDyNet's default); the result has
    /// `x`'s shape. Ints give float64. Backward: `softmaxBackward`.
    public static func softmax(_ x: Tensor, axis: Int?) throws -> Tensor {
        try softmaxFamily(x, axis: axis, log: false)
    }

    /// x - log Σ e^x along `axis` (`nil`: over every element). Ints give float64.
    /// Backward: `logSoftmaxBackward`.
    public static func logSoftmax(_ x: Tensor, axis: Int?) throws -> Tensor {
        try softmaxFamily(x, axis: axis, log: true)
    }

    /// y·(g - Σ g·y) along `axis`: softmax's backward from its output y, fused.
    static func softmaxBackward(_ g: Tensor, _ y: Tensor, axis: Int?) throws -> Tensor {
        try softmaxBackwardFamily(g, y, axis: axis, log: false)
    }

    /// g - e^y·Σ g along `axis`: log-softmax's backward from its output y, fused.
    static func logSoftmaxBackward(_ g: Tensor, _ y: Tensor, axis: Int?) throws -> Tensor {
        try softmaxBackwardFamily(g, y, axis: axis, log: true)
    }

    private static func softmaxFamily(_ a: Tensor, axis: Int?, log: Bool) throws -> Tensor {
        if halfOnly(a) { return try half(softmaxFamily(single(a), axis: axis, log: log)) }
        let name = log ? "log_softmax" : "softmax"
        let rows = try RowLayout(a.shape, axis: axis, op: name)
        let x = try cast(a, to: a.dtype.quotientResult)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: name)
        func run<T: FloatElement>(_: T.Type) { SoftmaxRows<T>.forward(x.pointer(T.self), out.pointer(T.self), rows, log: log) }
        try x.dtype.dispatchFloat(name, run, run)
        return try out.recording(name, [a]) { g, y in [try softmaxBackwardFamily(g, y, axis: axis, log: log)] }
    }

    /// The fused backward kernels as ops. Their own backward is derived from the same math
    /// written with ops (`Autograd.vjp`).
    private static func softmaxBackwardFamily(_ g: Tensor, _ y: Tensor, axis: Int?, log: Bool) throws -> Tensor {
        let name = log ? "log_softmax_backward" : "softmax_backward"
        guard g.shape == y.shape && g.dtype == y.dtype && y.dtype.isFloatingPoint else {
            throw EngineError.invalidArgument("\(name): gradient \(describe(g.shape)) \(g.dtype.name) and output \(describe(y.shape)) \(y.dtype.name) must be float tensors of one shape and dtype")
        }
        let rows = try RowLayout(y.shape, axis: axis, op: name)
        let grad = try Tensor(shape: y.shape, dtype: y.dtype, op: name)
        func run<T: FloatElement>(_: T.Type) {
            SoftmaxRows<T>.backward(y.pointer(T.self), g.pointer(T.self), grad.pointer(T.self), rows, log: log)
        }
        try y.dtype.dispatchFloat(name, run, run)
        return try grad.recording(name, [g, y], composite: { v in
            let (g, y) = (v[0], v[1])
            let axes = axis.map { [$0] }
            return log ? try g - Ops.exp(y) * Ops.sum(g, axes: axes, keepDims: true)
                       : try y * (g - Ops.sum(g * y, axes: axes, keepDims: true))
        })
    }
}

/// A tensor seen as `outer × length × inner`: `outer · inner` rows of `length` elements each,
/// `inner` apart; the row of (o, i) starts at element `o · length · inner + i`.
struct RowLayout {
    let outer: Int, length: Int, inner: Int

    /// The rows along `axis` of a tensor of `shape` (`nil`: one row of every element).
    init(_ shape: [Int], axis: Int?, op: String) throws {
        guard let axis else {
            (outer, length, inner) = (1, shape.reduce(1, *), 1)
            return
        }
        let a = try Shape.normalize(axis: axis, rank: shape.count, op: op)
        (outer, length, inner) = (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }
}

/// The row loops of softmax and log-softmax. Contiguous rows (`inner == 1`) are split over
/// the cores row by row, or a few long rows piece by piece; strided rows are processed a
/// block of adjacent columns at a time, so every pass reads memory contiguously.
enum SoftmaxRows<T: FloatElement> {
    typealias Pointer = UnsafeMutablePointer<T>

    /// `out` = softmax (or log-softmax) of `x` along the rows.
    static func forward(_ x: Pointer, _ out: Pointer, _ rows: RowLayout, log: Bool) {
        let n = rows.length
        guard n > 0 && rows.outer > 0 && rows.inner > 0 else { return }
        if rows.inner > 1 {
            forColumnBlocks(rows) { o, i0, width in
                let base = o * n * rows.inner + i0
                columnsForward(x + base, out + base, n, rows.inner, width, log: log)
            }
        } else if rows.outer < Parallel.threads && n >= 2 * Parallel.minimumElements {
            for o in 0..<rows.outer { longRowForward(x + o * n, out + o * n, n, log: log) }
        } else {
            Parallel.forRanges(rows.outer, grain: grain(n)) { range in
                for o in range { rowForward(x + o * n, out + o * n, n, log: log) }
            }
        }
    }

    /// `grad` = input gradient from the output `y` and its gradient `g`:
    /// y·(g - Σ g·y) for softmax, g - e^y·Σ g for log-softmax.
    static func backward(_ y: Pointer, _ g: Pointer, _ grad: Pointer, _ rows: RowLayout, log: Bool) {
        let n = rows.length
        guard n > 0 && rows.outer > 0 && rows.inner > 0 else { return }
        if rows.inner > 1 {
            forColumnBlocks(rows) { o, i0, width in
                let base = o * n * rows.inner + i0
                columnsBackward(y + base, g + base, grad + base, n, rows.inner, width, log: log)
            }
        } else if rows.outer < Parallel.threads && n >= 2 * Parallel.minimumElements {
            for o in 0..<rows.outer {
                let s = o * n
                let total = partials(n) { lo, hi in rowGradientSum(y + s + lo, g + s + lo, hi - lo, log: log) }.reduce(0, +)
                Parallel.forRanges(n) { r in rowGradient(y + s + r.lowerBound, g + s + r.lowerBound, grad + s + r.lowerBound, r.count, T(total), log: log) }
            }
        } else {
            Parallel.forRanges(rows.outer, grain: grain(n)) { range in
                for o in range {
                    let s = o * n
                    let total = rowGradientSum(y + s, g + s, n, log: log)
                    rowGradient(y + s, g + s, grad + s, n, T(total), log: log)
                }
            }
        }
    }

    /// Rows per parallel piece so that a piece holds at least `Parallel.minimumElements`.
    private static func grain(_ n: Int) -> Int { max(1, Parallel.minimumElements / max(n, 1)) }

    // MARK: Contiguous rows

    private static func rowForward(_ x: Pointer, _ out: Pointer, _ n: Int, log: Bool) {
        let m = rowMax(x, n)
        let total = rowExpSum(x, log ? nil : out, n, m)
        rowFinish(x, out, n, m, total, log: log)
    }

    /// One long row, each pass split over the cores.
    private static func longRowForward(_ x: Pointer, _ out: Pointer, _ n: Int, log: Bool) {
        let m = partials(n) { lo, hi in Double(rowMax(x + lo, hi - lo)) }.reduce(-.infinity) { $1 > $0 ? $1 : $0 }
        let total = partials(n) { lo, hi in rowExpSum(x + lo, log ? nil : out + lo, hi - lo, T(m)) }.reduce(0, +)
        Parallel.forRanges(n) { r in rowFinish(x + r.lowerBound, out + r.lowerBound, r.count, T(m), total, log: log) }
    }

    /// Runs `piece(lo, hi)` on one range per core covering `0..<n` and returns the results.
    private static func partials(_ n: Int, _ piece: (Int, Int) -> Double) -> [Double] {
        let pieces = Parallel.threads
        var results = [Double](repeating: 0, count: pieces)
        results.withUnsafeMutableBufferPointer { slots in
            Parallel.forRanges(pieces, grain: 1) { range in
                for p in range { slots[p] = piece(n * p / pieces, n * (p + 1) / pieces) }
            }
        }
        return results
    }

    /// The largest element (NaNs are skipped here and propagate through the exponentials).
    /// Four running maxima: one would make every comparison wait for the previous one.
    @inline(__always)
    private static func rowMax(_ x: Pointer, _ n: Int) -> T {
        var (m0, m1, m2, m3) = (-T.infinity, -T.infinity, -T.infinity, -T.infinity)
        var j = 0
        while j + 4 <= n {
            m0 = x[j] > m0 ? x[j] : m0
            m1 = x[j + 1] > m1 ? x[j + 1] : m1
            m2 = x[j + 2] > m2 ? x[j + 2] : m2
            m3 = x[j + 3] > m3 ? x[j + 3] : m3
            j += 4
        }
        while j < n { m0 = x[j] > m0 ? x[j] : m0; j += 1 }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }

    /// Σ f(j) over 0..<n in double precision, in four interleaved partial sums (four
    /// independent chains of additions instead of one).
    @inline(__always)
    private static func sum4(_ n: Int, _ f: (Int) -> Double) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var j = 0
        while j + 4 <= n {
            s0 += f(j); s1 += f(j + 1); s2 += f(j + 2); s3 += f(j + 3)
            j += 4
        }
        while j < n { s0 += f(j); j += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Σ e^(x - m), storing the exponentials in `out` when given.
    @inline(__always)
    private static func rowExpSum(_ x: Pointer, _ out: Pointer?, _ n: Int, _ m: T) -> Double {
        if let out {
            for j in 0..<n { out[j] = T.vectorExp(x[j] - m) }
            return sum4(n) { Double(out[$0]) }
        }
        return sum4(n) { Double(T.vectorExp(x[$0] - m)) }
    }

    /// Softmax: scales the stored exponentials by 1/total. Log-softmax: x - m - log(total).
    @inline(__always)
    private static func rowFinish(_ x: Pointer, _ out: Pointer, _ n: Int, _ m: T, _ total: Double, log: Bool) {
        if log {
            // (x - m) - log Σ: folding m into the shift first would round it at m's magnitude
            let logTotal = T(Double.log(total))
            for j in 0..<n { out[j] = (x[j] - m) - logTotal }
        } else {
            let scale = T(1 / total)
            for j in 0..<n { out[j] *= scale }
        }
    }

    /// Σ g·y for softmax, Σ g for log-softmax.
    @inline(__always)
    private static func rowGradientSum(_ y: Pointer, _ g: Pointer, _ n: Int, log: Bool) -> Double {
        log ? sum4(n) { Double(g[$0]) } : sum4(n) { Double(g[$0] * y[$0]) }
    }

    @inline(__always)
    private static func rowGradient(_ y: Pointer, _ g: Pointer, _ grad: Pointer, _ n: Int, _ total: T, log: Bool) {
        if log {
            for j in 0..<n { grad[j] = g[j] - T.vectorExp(y[j]) * total }
        } else {
            for j in 0..<n { grad[j] = y[j] * (g[j] - total) }
        }
    }

    // MARK: Strided rows, a block of adjacent columns at a time

    /// Width of a column block: enough for vectorised inner loops, small enough for the cache.
    private static var blockWidth: Int { 256 }

    /// Calls `body(o, firstColumn, width)` for every block of columns, split over the cores.
    private static func forColumnBlocks(_ rows: RowLayout, _ body: (Int, Int, Int) -> Void) {
        let perOuter = (rows.inner + blockWidth - 1) / blockWidth
        let blockElements = rows.length * min(rows.inner, blockWidth)
        Parallel.forRanges(rows.outer * perOuter, grain: grain(blockElements)) { range in
            for b in range {
                let o = b / perOuter, i0 = (b % perOuter) * blockWidth
                body(o, i0, min(blockWidth, rows.inner - i0))
            }
        }
    }

    /// Forward over `width` columns of `n` rows, `stride` apart.
    private static func columnsForward(_ x: Pointer, _ out: Pointer, _ n: Int, _ stride: Int, _ width: Int, log: Bool) {
        withScratch(width) { m, total in
            for i in 0..<width { m[i] = -T.infinity; total[i] = 0 }
            for r in 0..<n {
                let row = x + r * stride
                for i in 0..<width where row[i] > m[i] { m[i] = row[i] }
            }
            for r in 0..<n {
                let row = x + r * stride, o = out + r * stride
                for i in 0..<width {
                    let e = T.vectorExp(row[i] - m[i])
                    if !log { o[i] = e }
                    total[i] += Double(e)
                }
            }
            if log {
                for i in 0..<width { total[i] = Double.log(total[i]) }
                for r in 0..<n {
                    let row = x + r * stride, o = out + r * stride
                    for i in 0..<width { o[i] = (row[i] - m[i]) - T(total[i]) }
                }
            } else {
                for i in 0..<width { m[i] = T(1 / total[i]) }
                for r in 0..<n {
                    let o = out + r * stride
                    for i in 0..<width { o[i] *= m[i] }
                }
            }
        }
    }

    /// Backward over `width` columns of `n` rows, `stride` apart.
    private static func columnsBackward(_ y: Pointer, _ g: Pointer, _ grad: Pointer, _ n: Int, _ stride: Int,
                                        _ width: Int, log: Bool) {
        withScratch(width) { sum, total in
            for i in 0..<width { total[i] = 0 }
            for r in 0..<n {
                let yr = y + r * stride, gr = g + r * stride
                if log {
                    for i in 0..<width { total[i] += Double(gr[i]) }
                } else {
                    for i in 0..<width { total[i] += Double(gr[i] * yr[i]) }
                }
            }
            for i in 0..<width { sum[i] = T(total[i]) }
            for r in 0..<n {
                let yr = y + r * stride, gr = g + r * stride, out = grad + r * stride
                if log {
                    for i in 0..<width { out[i] = gr[i] - T.vectorExp(yr[i]) * sum[i] }
                } else {
                    for i in 0..<width { out[i] = yr[i] * (gr[i] - sum[i]) }
                }
            }
        }
    }

    /// Two scratch arrays of `width` elements: one of T, one of Double accumulators.
    @inline(__always)
    private static func withScratch(_ width: Int, _ body: (Pointer, UnsafeMutablePointer<Double>) -> Void) {
        let values = Pointer.allocate(capacity: width)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: width)
        defer { values.deallocate(); sums.deallocate() }
        body(values, sums)
    }
}
