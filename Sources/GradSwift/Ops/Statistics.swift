/// Reductions built from simpler ops, so their backward, of every order, is that of the ops:
/// product, variance and standard deviation, log-sum-exp, vector norms, and the logical
/// all/any. `axes` nil means every axis; reduced axes stay as size 1 when `keepDims`. Bool and
/// int inputs give float64 except in `prod` (int64, as PyTorch) and `all`/`any` (bool);
/// float16 is computed in float32 and rounded back.
extension Ops {
    /// The product over `axes`: the last running product (`cumprod`) of the reduced elements,
    /// so its gradient is exact also where elements are zero. An empty product is 1.
    public static func prod(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let op = "prod"
        if halfOnly(a) { return try half(prod(single(a), axes: axes, keepDims: keepDims)) }
        let reduced = try Shape.normalize(axes: axes, rank: a.rank, op: op)
        let (keptShape, outShape) = reducedShapes(a.shape, reduced, keepDims)
        let x = try cast(a, to: a.dtype.isFloatingPoint ? a.dtype : .int64)
        let length = reduced.reduce(1) { $0 * a.shape[$1] }
        if length == 0 {
            let shape = a.shape
            return try Tensor.full(1, dtype: x.dtype, shape: outShape).recording(op, [x]) { g in
                [try Tensor.full(0, dtype: g.dtype, shape: shape)]
            }
        }
        let kept = a.shape.indices.filter { !reduced.contains($0) }
        let rows = try reshape(transpose(x, axes: kept + reduced), kept.map { a.shape[$0] } + [length])
        let last = try narrow(cumprod(rows, axis: -1), axis: rows.rank - 1, start: length - 1, length: 1)
        return try reshape(last, keepDims ? keptShape : outShape)
    }

    /// Σ (x - mean)² / max(0, N - correction) over `axes`, N the number of reduced elements
    /// (`correction` 1: the unbiased estimate, PyTorch's default; 0: NumPy's). N - correction
    /// <= 0 divides by zero, giving NaN or infinity, as PyTorch.
    public static func variance(_ a: Tensor, axes: [Int]? = nil, correction: Double = 1, keepDims: Bool = false) throws -> Tensor {
        try varianceOf("var", a, axes: axes, correction: correction, keepDims: keepDims)
    }

    /// The square root of `variance`.
    public static func standardDeviation(_ a: Tensor, axes: [Int]? = nil, correction: Double = 1,
                                         keepDims: Bool = false) throws -> Tensor {
        try sqrt(varianceOf("std", a, axes: axes, correction: correction, keepDims: keepDims))
    }

    private static func varianceOf(_ op: String, _ a: Tensor, axes: [Int]?, correction: Double, keepDims: Bool) throws -> Tensor {
        guard correction.isFinite else {
            throw EngineError.invalidArgument("\(op): correction must be a finite number, got \(correction)")
        }
        if halfOnly(a) { return try half(varianceOf(op, single(a), axes: axes, correction: correction, keepDims: keepDims)) }
        let reduced = try Shape.normalize(axes: axes, rank: a.rank, op: op)
        let count = reduced.reduce(1) { $0 * a.shape[$1] }
        let x = try cast(a, to: a.dtype.quotientResult)
        let centered = try x - mean(x, axes: reduced, keepDims: true)
        return try sum(square(centered), axes: reduced, keepDims: keepDims) / Swift.max(0, Double(count) - correction)
    }

    /// log Σ exp(x) over `axes`, computed as m + log Σ exp(x - m) with m the (constant) maximum,
    /// so large inputs do not overflow; all -inf gives -inf, an empty reduction -inf.
    public static func logsumexp(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let op = "logsumexp"
        if halfOnly(a) { return try half(logsumexp(single(a), axes: axes, keepDims: keepDims)) }
        let reduced = try Shape.normalize(axes: axes, rank: a.rank, op: op)
        let (keptShape, outShape) = reducedShapes(a.shape, reduced, keepDims)
        let x = try cast(a, to: a.dtype.quotientResult)
        let shift: Tensor
        if reduced.reduce(1, { $0 * a.shape[$1] }) == 0 {
            shift = try Tensor.full(0, dtype: x.dtype, shape: keptShape)
        } else {
            shift = try reduce(.max, x.detached(), axes: reduced, keepDims: true)
            func finite<T: FloatElement>(_: T.Type) {
                let m = shift.pointer(T.self)
                for i in 0..<shift.count where !m[i].isFinite { m[i] = 0 }
            }
            try x.dtype.dispatchFloat(op, finite, finite)
        }
        let total = try log(sum(exp(x - shift), axes: reduced, keepDims: true)) + shift
        return try keepDims ? total : reshape(total, outShape)
    }

    /// The vector p-norm over `axes` (`torch.linalg.vector_norm`): (Σ |x|^p)^(1/p) for finite
    /// p != 0, max |x| for inf, min |x| for -inf, the count of nonzero elements for 0. The
    /// gradient of a zero norm is zero (as PyTorch), and ties of ±inf share it evenly.
    public static func norm(_ a: Tensor, p: Double = 2, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let op = "norm"
        if halfOnly(a) { return try half(norm(single(a), p: p, axes: axes, keepDims: keepDims)) }
        guard !p.isNaN else { throw EngineError.invalidArgument("\(op): the order p must be a number, got nan") }
        let reduced = try Shape.normalize(axes: axes, rank: a.rank, op: op)
        let (keptShape, _) = reducedShapes(a.shape, reduced, keepDims)
        let x = try cast(a, to: a.dtype.quotientResult)
        let empty = reduced.reduce(1, { $0 * a.shape[$1] }) == 0
        switch p {
        case .infinity, -.infinity:
            if empty {
                throw EngineError.invalidArgument("\(op): the norm of order \(p) of an empty reduction is undefined (shape \(describe(a.shape)))")
            }
            return try reduce(p > 0 ? .max : .min, abs(x), axes: reduced, keepDims: keepDims)
        case 0:
            let count = try sum(cast(ne(x, Tensor.scalar(0, dtype: x.dtype)), to: x.dtype), axes: reduced, keepDims: keepDims)
            let shape = x.shape
            return try count.recording(op, [x]) { g in [try Tensor.full(0, dtype: g.dtype, shape: shape)] }
        case 1:
            return try sum(abs(x), axes: reduced, keepDims: keepDims)
        default:
            let out = try GradMode.with(enabled: false) {
                p == 2 ? try sqrt(sum(square(x), axes: reduced, keepDims: keepDims))
                    : try binary(.pow, sum(binary(.pow, abs(x), scalar: p, kind: .float), axes: reduced, keepDims: keepDims),
                                 scalar: 1 / p, kind: .float)
            }
            return try out.recording(op, [x]) { g, y in
                let zero = try Tensor.scalar(0, dtype: y.dtype), one = try Tensor.scalar(1, dtype: y.dtype)
                let norm = try reshape(y, keptShape), isZero = try eq(norm, zero)
                let safe = try Ops.where(isZero, one, norm)
                let scale = try Ops.where(isZero, zero, reshape(g, keptShape) / (p == 2 ? safe : binary(.pow, safe, scalar: p - 1, kind: .float)))
                let direction = p == 2 ? x : try sign(x) * binary(.pow, abs(x), scalar: p - 1, kind: .float)
                return [try direction * scale]
            }
        }
    }

    /// True where every element over `axes` is nonzero (NaN counts as nonzero); true for none.
    /// A bool result, no gradient.
    public static func all(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try logical("all", .min, a, axes: axes, keepDims: keepDims)
    }

    /// True where some element over `axes` is nonzero; false for none. A bool result, no gradient.
    public static func any(_ a: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try logical("any", .max, a, axes: axes, keepDims: keepDims)
    }

    private static func logical(_ op: String, _ extremum: ReduceOp, _ a: Tensor, axes: [Int]?, keepDims: Bool) throws -> Tensor {
        let reduced = try Shape.normalize(axes: axes, rank: a.rank, op: op)
        let (_, outShape) = reducedShapes(a.shape, reduced, keepDims)
        if reduced.reduce(1, { $0 * a.shape[$1] }) == 0 {
            return try Tensor.full(extremum == .min ? 1 : 0, dtype: .bool, shape: outShape)
        }
        let truth = a.dtype == .bool ? a.detached() : try ne(a.detached(), Tensor.scalar(0, dtype: a.dtype))
        return try reduce(extremum, truth, axes: reduced, keepDims: keepDims)
    }

    /// The shape of a reduction's result with the reduced axes kept as size 1, and as returned
    /// (`keepDims` or not).
    static func reducedShapes(_ shape: [Int], _ reduced: [Int], _ keepDims: Bool) -> ([Int], [Int]) {
        var kept = shape
        for axis in reduced { kept[axis] = 1 }
        return (kept, keepDims ? kept : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] })
    }
}
