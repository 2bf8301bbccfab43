/// Running sums and products along one axis (`torch.cumsum`, `torch.cumprod`). Bool and int
/// inputs give int64 (wrapping on overflow); floats keep their dtype. A 0-d tensor takes axis
/// 0 or -1 and is returned as it is.
public enum ScanOp: Sendable {
    case sum, product

    /// The PyTorch name, used in error messages and graph nodes.
    public var name: String { self == .sum ? "cumsum" : "cumprod" }
}

extension Ops {
    /// y[i] = x[0] + ... + x[i] along `axis`.
    public static func cumsum(_ a: Tensor, axis: Int) throws -> Tensor {
        try scan(.sum, a, axis: axis, reverse: false)
    }

    /// y[i] = x[0] · ... · x[i] along `axis`. The gradient is exact also where the input holds
    /// zeros: before a row's first zero it is Σ_{j≥i} g_j·y_j / x_i; at the first zero, the
    /// same sum of the running products with that zero read as 1; after it, zero.
    public static func cumprod(_ a: Tensor, axis: Int) throws -> Tensor {
        try scan(.product, a, axis: axis, reverse: false)
    }

    /// The running sum or product along `axis`, from the end backwards when `reverse`
    /// (y[i] = x[i] + ... + x[n-1]); the reversed sum is the plain sum's backward and the other
    /// way round.
    static func scan(_ op: ScanOp, _ a: Tensor, axis: Int, reverse: Bool) throws -> Tensor {
        if halfOnly(a) { return try half(scan(op, single(a), axis: axis, reverse: reverse)) }
        let axes = try Shape.normalize(axes: [axis], rank: a.rank, op: op.name)
        let type: DType = a.dtype.isFloatingPoint ? a.dtype : .int64  // integers and bools: int64, as NumPy
        let x = try cast(a, to: type)
        let out = try Tensor(shape: a.shape, dtype: type, op: op.name)
        let length = axes.first.map { a.shape[$0] } ?? 1
        let inner = axes.first.map { a.shape[($0 + 1)...].reduce(1, *) } ?? 1
        if out.count > 0 {
            let outer = a.count / (length * inner)
            switch type {
            case .float32: floatScan(op, x.pointer(Float.self), out.pointer(Float.self), outer, length, inner, reverse)
            case .float64: floatScan(op, x.pointer(Double.self), out.pointer(Double.self), outer, length, inner, reverse)
            default: scanLoop(op, x.pointer(Int64.self), out.pointer(Int64.self), outer, length, inner, reverse, read: { $0 }, write: { $0 })
            }
        }
        switch op {
        case .sum:
            return try out.recording(op.name, [a]) { g in [try scan(.sum, g, axis: axis, reverse: !reverse)] }
        case .product:
            return try out.recording(op.name, [a]) { g, y in [try cumprodBackward(g, a, y, axis: axis)] }
        }
    }

    /// The gradient of `y = cumprod(x)` along `axis` for the output gradient `g`, with ops.
    /// Without zeros it is Σ_{j≥i} g_j·y_j / x_i. With zeros, when the graph is not recorded,
    /// the O(n) rule of the type's doc comment; when it is (a derivative of higher order will
    /// follow), the O(n²) sum Σ_{j≥i} g_j·Π_{m≤j, m≠i} x_m, a polynomial in x whose every
    /// derivative is exact, as PyTorch does.
    private static func cumprodBackward(_ g: Tensor, _ x: Tensor, _ y: Tensor, axis: Int) throws -> Tensor {
        if x.rank == 0 { return g }
        let zero = try Tensor.scalar(0, dtype: x.dtype), one = try Tensor.scalar(1, dtype: x.dtype)
        let isZero = try eq(x, zero)
        guard UnsafeBufferPointer(start: isZero.pointer(Bool.self), count: isZero.count).contains(true) else {
            return try scan(.sum, g * y, axis: axis, reverse: true) / x
        }
        if GradMode.isEnabled { return try cumprodBackwardQuadratic(g, x, axis: axis) }
        let zerosSoFar = try cumsum(isZero, axis: axis)
        let beforeZero = try eq(zerosSoFar, Tensor.scalar(0, dtype: .int64))
        let firstZero = try Ops.where(isZero, eq(zerosSoFar, Tensor.scalar(1, dtype: .int64)), isZero)
        let afterTerms = try scan(.sum, g * y, axis: axis, reverse: true)
        let before = try Ops.where(beforeZero, afterTerms / Ops.where(beforeZero, x, one), zero)
        let skipped = try cumprod(Ops.where(firstZero, one, x), axis: axis)
        let at = try Ops.where(firstZero, scan(.sum, g * skipped, axis: axis, reverse: true), zero)
        return try before + at
    }

    /// Σ_{j≥i} g_j·Π_{m≤j, m≠i} x_m along `axis`: row i of an n × n block holds x with x_i
    /// read as 1, whose running products give every term at once.
    private static func cumprodBackwardQuadratic(_ g: Tensor, _ x: Tensor, axis: Int) throws -> Tensor {
        let along = try Shape.normalize(axis: axis, rank: x.rank, op: "cumprod")
        let last = x.rank - 1
        let rows = try swapAxes(x, along, last), weights = try swapAxes(g, along, last)
        let n = x.shape[along]
        let diagonal = try Tensor(shape: [n, n], dtype: .bool, zeroed: true, op: "cumprod")
        let upper = try Tensor(shape: [n, n], dtype: .bool, zeroed: true, op: "cumprod")
        for i in 0..<n {
            diagonal.pointer(Bool.self)[i * n + i] = true
            for j in i..<n { upper.pointer(Bool.self)[i * n + j] = true }
        }
        let one = try Tensor.scalar(1, dtype: x.dtype), zero = try Tensor.scalar(0, dtype: x.dtype)
        let skipping = try cumprod(Ops.where(diagonal, one, unsqueeze(rows, axes: [last])), axis: -1)
        let terms = try Ops.where(upper, unsqueeze(weights, axes: [last]) * skipping, zero)
        return try swapAxes(sum(terms, axes: [last + 1]), along, last)
    }

    /// A float scan, accumulated in double precision (as PyTorch does on the CPU).
    private static func floatScan<T: FloatElement>(_ op: ScanOp, _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                                   _ outer: Int, _ length: Int, _ inner: Int, _ reverse: Bool) {
        scanLoop(op, src, dst, outer, length, inner, reverse, read: { Double($0) }, write: { T($0) })
    }

    /// `dst[o, :, i]` = the running fold of `src[o, :, i]` over an `outer × length × inner`
    /// block, accumulated as `A`; the rows are spread over the cores.
    private static func scanLoop<T, A: ArithmeticElement>(_ op: ScanOp, _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                                          _ outer: Int, _ length: Int, _ inner: Int, _ reverse: Bool,
                                                          read: (T) -> A, write: (A) -> T) {
        let combine: (A, A) -> A = op == .sum ? A.add : A.multiply
        Parallel.forRanges(outer * inner, grain: Swift.max(1, Parallel.minimumElements / Swift.max(length, 1))) { rows in
            for row in rows {
                let base = (row / inner) * length * inner + row % inner
                var running: A = op == .sum ? 0 : 1
                for step in 0..<length {
                    let at = base + (reverse ? length - 1 - step : step) * inner
                    running = combine(running, read(src[at]))
                    dst[at] = write(running)
                }
            }
        }
    }
}
