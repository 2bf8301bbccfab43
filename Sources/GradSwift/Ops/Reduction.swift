/// Reductions over a set of axes.
public enum ReduceOp: Sendable {
    case sum, mean, max, min, argmax, argmin

    /// The NumPy name, used in error messages.
    public var name: String { "\(self)" }

    /// True for reductions that pick an element (and so need a non-empty input).
    var selects: Bool { self != .sum && self != .mean }
}

extension Ops {
    /// Sum over `axes` (`nil`: all axes).
    public static func sum(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try reduce(.sum, a, axes: axes, keepDims: keepDims)
    }

    /// Forward and backward of sum, mean, max, min, argmax and argmin over `axes`
    /// (`nil`: all axes), keeping reduced axes as size 1 when `keepDims`.
    public static func reduce(_ op: ReduceOp, _ a: Tensor, axes: [Int]?, keepDims: Bool) throws -> Tensor {
        if (op == .argmax || op == .argmin), let axes, axes.count > 1 {
            throw EngineError.invalidArgument("\(op.name): takes one axis or None, got \(axes.count) axes")
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
        case .mean: computeType = a.dtype.floatResult
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
        let result = out.detached()
        return out.recording(op.name, [a]) { g in
            let gKept = try reshape(g, keptShape)
            switch op {
            case .sum: return [try expand(gKept, to: a.shape)]
            case .mean: return [try mul(try expand(gKept, to: a.shape), try Tensor.scalar(1 / Double(reducedCount), dtype: g.dtype))]
            default:
                let winners = try cast(try compare(.eq, x, try reshape(result, keptShape)), to: g.dtype)
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
        case .sum:
            reduceLoop(src, out.pointer(T.self), outer, reduced, inner, 0.0, { $0 + Double($1) }, { T($0) })
        case .mean:
            let scale = 1 / Double(reduced)
            reduceLoop(src, out.pointer(T.self), outer, reduced, inner, 0.0, { $0 + Double($1) }, { T($0 * scale) })
        case .max:
            reduceLoop(src, out.pointer(T.self), outer, reduced, inner, -T.infinity, { $1 > $0 || $1.isNaN ? $1 : $0 }, { $0 })
        case .min:
            reduceLoop(src, out.pointer(T.self), outer, reduced, inner, T.infinity, { $1 < $0 || $1.isNaN ? $1 : $0 }, { $0 })
        case .argmax:
            argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 > $1 }
        case .argmin:
            argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 < $1 }
        }
    }

    private static func reduceIntegers(_ op: ReduceOp, _ x: Tensor, _ out: Tensor, _ outer: Int, _ reduced: Int, _ inner: Int) {
        let src = x.pointer(Int64.self)
        switch op {
        case .sum, .mean:
            reduceLoop(src, out.pointer(Int64.self), outer, reduced, inner, Int64(0), { $0 &+ $1 }, { $0 })
        case .max:
            reduceLoop(src, out.pointer(Int64.self), outer, reduced, inner, Int64.min, { Swift.max($0, $1) }, { $0 })
        case .min:
            reduceLoop(src, out.pointer(Int64.self), outer, reduced, inner, Int64.max, { Swift.min($0, $1) }, { $0 })
        case .argmax:
            argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 > $1 }
        case .argmin:
            argLoop(src, out.pointer(Int64.self), outer, reduced, inner) { $0 < $1 }
        }
    }

    /// `dst[o, i] = finish(fold(src[o, :, i]))` over an `outer × reduced × inner` block.
    @inline(__always)
    private static func reduceLoop<T, Acc, R>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<R>,
                                              _ outer: Int, _ reduced: Int, _ inner: Int, _ initial: Acc,
                                              _ combine: (Acc, T) -> Acc, _ finish: (Acc) -> R) {
        Parallel.forRanges(outer, grain: max(1, Parallel.minimumElements / max(reduced * inner, 1))) { range in
            if inner == 1 {
                for o in range {
                    var acc = initial
                    let row = src + o * reduced
                    for r in 0..<reduced { acc = combine(acc, row[r]) }
                    dst[o] = finish(acc)
                }
                return
            }
            var acc = [Acc](repeating: initial, count: inner)
            for o in range {
                for i in 0..<inner { acc[i] = initial }
                for r in 0..<reduced {
                    let row = src + (o * reduced + r) * inner
                    for i in 0..<inner { acc[i] = combine(acc[i], row[i]) }
                }
                for i in 0..<inner { dst[o * inner + i] = finish(acc[i]) }
            }
        }
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
