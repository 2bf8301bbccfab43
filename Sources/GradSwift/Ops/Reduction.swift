/// Reductions over a set of axes.
public enum ReduceOp: Sendable {
    case sum, mean, max, min, argmax, argmin

    /// The NumPy name, used in error messages (a switch: `"\(self)"` would reflect).
    public var name: String {
        switch self {
        case .sum: return "sum"
        case .mean: return "mean"
        case .max: return "max"
        case .min: return "min"
        case .argmax: return "argmax"
        case .argmin: return "argmin"
        }
    }

    /// True for reductions that pick an element (and so need a non-empty input).
    var selects: Bool { self != .sum && self != .mean }
}

extension Ops {
    /// Sum over `axes` (`nil`: all axes).
    public static func sum(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try reduce(.sum, a, axes: axes, keepDims: keepDims)
    }

    /// Mean over `axes` (`nil`: all axes); ints give float64.
    public static func mean(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try reduce(.mean, a, axes: axes, keepDims: keepDims)
    }

    /// Forward and backward of sum, mean, max, min, argmax and argmin over `axes`
    /// (`nil`: all axes), keeping reduced axes as size 1 when `keepDims`.
    public static func reduce(_ op: ReduceOp, _ a: Tensor, axes: [Int]?, keepDims: Bool) throws -> Tensor {
        if (op == .argmax || op == .argmin), let axes, axes.count != 1 {
            throw EngineError.invalidArgument("\(op.name): takes one axis or None, got \(axes.count) axes")
        }
        let wide = a.dtype.computeType
        if wide != a.dtype {  // float16 and the narrow integers
            let out = try reduce(op, try cast(a, to: wide), axes: axes, keepDims: keepDims)
            // max and min, and float16 sums and means, come back in a's type; integer sums stay
            // int64 and integer means float64 (as in NumPy), indices int64.
            let back = (op == .max || op == .min || a.dtype == .float16) && out.dtype == wide
            return back ? try cast(out, to: a.dtype) : out
        }
        let axes = try Shape.normalize(axes: axes, rank: a.rank, op: op.name)
        let reducedCount = axes.reduce(1) { $0 * a.shape[$1] }
        if op.selects && reducedCount == 0 {
            throw EngineError.invalidArgument("\(op.name): zero-size array to reduction operation which has no identity (shape \(describe(a.shape)))")
        }
        var keptShape = a.shape
        for axis in axes { keptShape[axis] = 1 }
        let outShape = keepDims ? keptShape : a.shape.indices.filter { !axes.contains($0) }.map { a.shape[$0] }

        let computeType: DType
        switch op {
        case .mean: computeType = a.dtype.quotientResult
        default: computeType = a.dtype == .bool ? .int64 : a.dtype
        }
        let x = try cast(a, to: computeType)
        let (source, outer, reduced, inner) = try reductionLayout(x, axes)
        let resultType: DType = op == .argmax || op == .argmin ? .int64 : computeType
        var out = try Tensor(shape: outShape, dtype: resultType, op: op.name)
        switch computeType {
        case .float32: reduceFloats(op, source, out, outer, reduced, inner, Float.self)
        case .float64: reduceFloats(op, source, out, outer, reduced, inner, Double.self)
        default: reduceIntegers(op, source, out, outer, reduced, inner)
        }
        if a.dtype == .bool && (op == .max || op == .min) { out = try cast(out, to: .bool) }
        guard a.requiresGrad && GradMode.isEnabled else { return out }  // (no rule closure made for nothing)
        // max and min find their winners again from the result, kept outside the graph (the
        // output itself would keep its own node alive).
        let result = op == .max || op == .min ? out.detached() : nil
        return try out.recording(op.name, [a]) { g in
            // g with the reduced axes kept, so it broadcasts against a; a single value (a full
            // reduction, as a loss's) broadcasts as it is.
            let gKept = g.shape == keptShape || g.count == 1 ? g : try reshape(g, keptShape)
            switch op {
            case .sum: return [try expand(gKept, to: a.shape)]
            // (scaled before it is spread: the same products, over the reduced elements only)
            case .mean: return [try expand(try mul(gKept, try Tensor.scalar(1 / Double(reducedCount), dtype: g.dtype)), to: a.shape)]
            default:
                guard let result else { return [nil] }  // (argmax and argmin: their int64 results record no node)
                let winners = try Tensor(shape: x.shape, dtype: g.dtype, op: op.name)
                let extremum = try reshape(result, keptShape)
                func run<T: FloatElement>(_: T.Type) { Elementwise.map(Selected<T>.self, x, extremum, winners) }
                try g.dtype.dispatchFloat(op.name, run, run)
                let ties = try sum(winners, axes: axes, keepDims: true)
                return [try mul(winners, try div(gKept, ties))]
            }
        }
    }

    /// Views `x` as `outer × reduced × inner` with the reduced axes in the middle, permuting a
    /// copy only when the reduced axes are not adjacent.
    private static func reductionLayout(_ x: Tensor, _ axes: [Int]) throws -> (Tensor, Int, Int, Int) {
        guard let first = axes.first, let last = axes.last else { return (x, x.count, 1, 1) }
        if last - first + 1 == axes.count {
            let outer = x.shape[..<first].reduce(1, *)
            let reduced = x.shape[first...last].reduce(1, *)
            return (x, outer, reduced, x.shape[(last + 1)...].reduce(1, *))
        }
        let kept = x.shape.indices.filter { !axes.contains($0) }
        let permuted = try permuteCopy(x, kept + axes)
        let outer = kept.reduce(1) { $0 * x.shape[$1] }
        return (permuted, outer, x.count / max(outer, 1), 1)
    }

    private static func reduceFloats<T: FloatElement>(_ op: ReduceOp, _ x: Tensor, _ out: Tensor,
                                                      _ outer: Int, _ reduced: Int, _ inner: Int, _: T.Type) {
        let src = x.pointer(T.self)
        switch op {
        case .sum: reduceLoop(SumReducer<T>.self, src, out.pointer(T.self), outer, reduced, inner)
        case .mean: reduceLoop(MeanReducer<T>.self, src, out.pointer(T.self), outer, reduced, inner)
        case .max: reduceLoop(MaxReducer<T>.self, src, out.pointer(T.self), outer, reduced, inner)
        case .min: reduceLoop(MinReducer<T>.self, src, out.pointer(T.self), outer, reduced, inner)
        case .argmax: argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 > $1 }
        case .argmin: argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 < $1 }
        }
    }

    private static func reduceIntegers(_ op: ReduceOp, _ x: Tensor, _ out: Tensor, _ outer: Int, _ reduced: Int, _ inner: Int) {
        let src = x.pointer(Int64.self)
        switch op {
        case .sum, .mean: reduceLoop(IntegerSum.self, src, out.pointer(Int64.self), outer, reduced, inner)
        case .max: reduceLoop(MaxReducer<Int64>.self, src, out.pointer(Int64.self), outer, reduced, inner)
        case .min: reduceLoop(MinReducer<Int64>.self, src, out.pointer(Int64.self), outer, reduced, inner)
        case .argmax: argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 > $1 }
        case .argmin: argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 < $1 }
        }
    }

    /// `dst[o, i] = R.finish(fold(src[o, :, i]))` over an `outer × reduced × inner` block.
    private static func reduceLoop<R: Reducer>(_: R.Type, _ src: UnsafeMutablePointer<R.Element>,
                                               _ dst: UnsafeMutablePointer<R.Element>,
                                               _ outer: Int, _ reduced: Int, _ inner: Int) {
        if inner == 1 && outer < Parallel.threads && reduced >= 2 * Parallel.minimumElements {
            // A few long rows: each row's halves are folded on different cores, then merged.
            for o in 0..<outer {
                let row = src + o * reduced
                let pieces = Parallel.threads
                var partials = [R.Accumulator](repeating: R.initial, count: pieces)
                partials.withUnsafeMutableBufferPointer { slots in
                    Parallel.forRanges(pieces, grain: 1) { range in
                        for piece in range {
                            let lo = reduced * piece / pieces, hi = reduced * (piece + 1) / pieces
                            slots[piece] = fold(R.self, row + lo, hi - lo)
                        }
                    }
                }
                dst[o] = R.finish(partials.dropFirst().reduce(partials[0], R.merge), count: reduced)
            }
            return
        }
        if inner > 1 && outer < Parallel.threads && reduced * inner >= 2 * Parallel.minimumElements {
            // A few wide blocks (column sums of a tall matrix): the columns are split over the cores.
            for o in 0..<outer {
                let block = src + o * reduced * inner, out = dst + o * inner
                Parallel.forRanges(inner, grain: max(8, Parallel.minimumElements / reduced)) { columns in
                    columnFold(R.self, block + columns.lowerBound, out + columns.lowerBound, columns.count, reduced, inner)
                }
            }
            return
        }
        Parallel.forRanges(outer, grain: max(1, Parallel.minimumElements / max(reduced * inner, 1))) { range in
            if inner == 1 {
                for o in range { dst[o] = R.finish(fold(R.self, src + o * reduced, reduced), count: reduced) }
                return
            }
            for o in range { columnFold(R.self, src + o * reduced * inner, dst + o * inner, inner, reduced, inner) }
        }
    }

    /// `dst[i] = R.finish(fold(src[r · stride + i] for r in 0..<reduced))` for i in 0..<width:
    /// `width` adjacent columns of a row-major block whose rows are `stride` elements long.
    private static func columnFold<R: Reducer>(_: R.Type, _ src: UnsafeMutablePointer<R.Element>,
                                               _ dst: UnsafeMutablePointer<R.Element>,
                                               _ width: Int, _ reduced: Int, _ stride: Int) {
        let acc = UnsafeMutablePointer<R.Accumulator>.allocate(capacity: width)
        defer { acc.deallocate() }
        acc.initialize(repeating: R.initial, count: width)
        for r in 0..<reduced {
            let row = src + r * stride
            for i in 0..<width { acc[i] = R.combine(acc[i], row[i]) }
        }
        for i in 0..<width { dst[i] = R.finish(acc[i], count: reduced) }
    }

    /// Folds `count` contiguous elements with eight independent accumulators, so the additions
    /// are not one serial dependency chain and the loop vectorises.
    @inline(__always)
    private static func fold<R: Reducer>(_: R.Type, _ row: UnsafeMutablePointer<R.Element>, _ count: Int) -> R.Accumulator {
        var lanes = (R.initial, R.initial, R.initial, R.initial, R.initial, R.initial, R.initial, R.initial)
        var r = 0
        while r &+ 8 <= count {
            let p = row + r
            lanes.0 = R.combine(lanes.0, p[0]); lanes.1 = R.combine(lanes.1, p[1])
            lanes.2 = R.combine(lanes.2, p[2]); lanes.3 = R.combine(lanes.3, p[3])
            lanes.4 = R.combine(lanes.4, p[4]); lanes.5 = R.combine(lanes.5, p[5])
            lanes.6 = R.combine(lanes.6, p[6]); lanes.7 = R.combine(lanes.7, p[7])
            r &+= 8
        }
        while r < count {
            lanes.0 = R.combine(lanes.0, row[r])
            r += 1
        }
        return R.merge(R.merge(R.merge(lanes.0, lanes.1), R.merge(lanes.2, lanes.3)),
                       R.merge(R.merge(lanes.4, lanes.5), R.merge(lanes.6, lanes.7)))
    }

    /// Index of the first element preferred by `better` along the reduced axis; a NaN wins (as NumPy).
    @inline(__always)
    private static func argLoop<T: Comparable>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<Int64>,
                                               _ outer: Int, _ reduced: Int, _ inner: Int, _ better: (T, T) -> Bool) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = src + o * reduced * inner + i
                var best = base[0], index = 0
                if best == best {
                    for r in 1..<Swift.max(reduced, 1) {
                        let v = base[r * inner]
                        if v != v { index = r; break }
                        if better(v, best) { best = v; index = r }
                    }
                }
                dst[o * inner + i] = Int64(index)
            }
        }
    }
}

// MARK: Reducers

/// 1 where an element is the selected extremum (a NaN extremum selects the NaNs), else 0:
/// max and min send their gradient there, shared among ties.
enum Selected<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ x: T, _ extremum: T) -> T {
        x == extremum || (x.isNaN && extremum.isNaN) ? 1 : 0
    }
}

/// A fold along the reduced axis, as a type so the loops specialise on it (see `UnaryKernel`).
protocol Reducer {
    associatedtype Element
    associatedtype Accumulator
    /// The fold's starting value (its identity).
    static var initial: Accumulator { get }
    /// Adds one element to an accumulator.
    static func combine(_ accumulator: Accumulator, _ x: Element) -> Accumulator
    /// Joins two partial accumulators.
    static func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
    /// The result from the accumulator of `count` elements.
    static func finish(_ accumulator: Accumulator, count: Int) -> Element
}

/// Sum of floats, accumulated in double precision.
enum SumReducer<T: FloatElement>: Reducer {
    static var initial: Double { 0 }
    @inline(__always) static func combine(_ a: Double, _ x: T) -> Double { a + Double(x) }
    @inline(__always) static func merge(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func finish(_ a: Double, count: Int) -> T { T(a) }
}

/// Mean of floats, accumulated in double precision (NaN for no elements, as NumPy).
enum MeanReducer<T: FloatElement>: Reducer {
    static var initial: Double { 0 }
    @inline(__always) static func combine(_ a: Double, _ x: T) -> Double { a + Double(x) }
    @inline(__always) static func merge(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func finish(_ a: Double, count: Int) -> T { T(a / Double(count)) }
}

/// Sum of int64 values, wrapping on overflow as NumPy.
enum IntegerSum: Reducer {
    static var initial: Int64 { 0 }
    @inline(__always) static func combine(_ a: Int64, _ x: Int64) -> Int64 { a &+ x }
    @inline(__always) static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func finish(_ a: Int64, count: Int) -> Int64 { a }
}

/// Maximum; NaN propagates.
enum MaxReducer<T: ArithmeticElement>: Reducer {
    static var initial: T { T.lowest }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { Maximum.value(x, a) }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { Maximum.value(a, b) }
    @inline(__always) static func finish(_ a: T, count: Int) -> T { a }
}

/// Minimum; NaN propagates.
enum MinReducer<T: ArithmeticElement>: Reducer {
    static var initial: T { T.highest }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { Minimum.value(x, a) }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { Minimum.value(a, b) }
    @inline(__always) static func finish(_ a: T, count: Int) -> T { a }
}
