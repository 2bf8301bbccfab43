/// Sorting along one axis (`torch.sort`, `argsort`, `topk`) and the maximum or minimum along an
/// axis with its index (`torch.max(x, dim)`). Indices are int64; the values are read from the
/// input at those indices (`takeAlongAxis`), so their gradient goes back to the positions they
/// came from. Sorting is stable (equal elements keep their order) and NaN sorts above every
/// number, as in PyTorch. A 0-d tensor takes axis 0 or -1 and sorts as one element.
extension Ops {
    /// The values of `a` sorted along `axis` (ascending, or descending) and their positions.
    public static func sort(_ a: Tensor, axis: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let indices = try argsort(a, axis: axis, descending: descending, op: "sort")
        return (try takeAlongAxis(a, indices, axis: axis), indices)
    }

    /// The positions that sort `a` along `axis` (int64, no gradient).
    public static func argsort(_ a: Tensor, axis: Int = -1, descending: Bool = false) throws -> Tensor {
        try argsort(a, axis: axis, descending: descending, op: "argsort")
    }

    /// The `k` largest (or smallest) elements along `axis`, in sorted order (largest first when
    /// `largest`), and their positions; 0 <= k <= the axis length.
    public static func topk(_ a: Tensor, k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let op = "topk"
        let axes = try Shape.normalize(axes: [axis], rank: a.rank, op: op)
        let length = axes.first.map { a.shape[$0] } ?? 1
        guard k >= 0 && k <= length else {
            throw EngineError.invalidArgument("\(op): k (\(k)) is out of range for an axis of length \(length)")
        }
        let indices = try argsort(a, axis: axis, descending: largest, op: op, keeping: k)
        return (try takeAlongAxis(a, indices, axis: axis), indices)
    }

    /// The maximum (`.max`) or minimum (`.min`) of `a` along `axis` and the index of its first
    /// occurrence (a NaN wins). Unlike `reduce(.max ...)`, whose gradient ties share, the
    /// gradient goes to that index only, as PyTorch's `max(dim=...)`.
    public static func extremum(_ op: ReduceOp, _ a: Tensor, axis: Int, keepDims: Bool) throws -> (values: Tensor, indices: Tensor) {
        guard op == .max || op == .min else {
            throw EngineError.invalidArgument("extremum: expected max or min, got \(op.name)")
        }
        let along = try Shape.normalize(axes: [axis], rank: a.rank, op: op.name).first
        if let along, a.shape[along] == 0 {
            throw EngineError.invalidArgument("\(op.name): zero-size array to reduction operation which has no identity (shape \(describe(a.shape)))")
        }
        let position = try reduce(op == .max ? .argmax : .argmin, a, axes: [axis], keepDims: true)
        let values = try takeAlongAxis(a, position, axis: axis)
        guard let along, !keepDims else { return (values, position) }
        return (try squeeze(values, axes: [along]), try squeeze(position, axes: [along]))
    }

    /// The first `keeping` (default: all) positions of the sorting permutation along `axis`.
    private static func argsort(_ a: Tensor, axis: Int, descending: Bool, op: String, keeping: Int? = nil) throws -> Tensor {
        let axes = try Shape.normalize(axes: [axis], rank: a.rank, op: op)
        let length = axes.first.map { a.shape[$0] } ?? 1
        var shape = a.shape
        if let along = axes.first, let keeping { shape[along] = keeping }
        let out = try Tensor(shape: shape, dtype: .int64, op: op)
        let inner = axes.first.map { a.shape[($0 + 1)...].reduce(1, *) } ?? 1
        guard out.count > 0 else { return out }
        let rows = a.count / length, kept = keeping ?? length
        let dst = out.pointer(Int64.self)
        switch a.dtype {
        case .float32: sortLoop(a.pointer(Float.self), dst, rows, length, inner, kept, descending)
        case .float64: sortLoop(a.pointer(Double.self), dst, rows, length, inner, kept, descending)
        case .int64: sortLoop(a.pointer(Int64.self), dst, rows, length, inner, kept, descending)
        default:  // float16 in float32 and the narrower integers and bool in int64, exactly
            let wide = try cast(a, to: a.dtype == .float16 ? .float32 : .int64)
            return try argsort(wide, axis: axis, descending: descending, op: op, keeping: keeping)
        }
        return out
    }

    /// For each of the `rows` lines `src[o, :, i]` (`length` long, elements `inner` apart),
    /// writes the first `kept` positions of its stable sorting permutation to `dst[o, :, i]`
    /// (`kept` long). Few kept positions are selected with a heap (n log k) instead of sorting
    /// the line. The lines are spread over the cores.
    private static func sortLoop<T: Comparable>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<Int64>, _ rows: Int,
                                                _ length: Int, _ inner: Int, _ kept: Int, _ descending: Bool) {
        // NaN (the only value unequal to itself) ranks above everything; positions break ties,
        // so `first` is a strict total order and both ways give the same positions.
        @inline(__always) func above(_ x: T, _ y: T) -> Bool { x != x ? y == y : (y == y && x > y) }
        Parallel.forRanges(rows, grain: Swift.max(1, Parallel.minimumElements / Swift.max(length, 1))) { lines in
            var order = [Int](repeating: 0, count: kept * 2 < length ? kept : length)
            for line in lines {
                let base = (line / inner) * length * inner + line % inner
                func first(_ p: Int, _ q: Int) -> Bool {
                    let x = src[base + p * inner], y = src[base + q * inner]
                    let before = descending ? above(x, y) : above(y, x)
                    return before || (!above(x, y) && !above(y, x) && p < q)
                }
                if order.count < length {
                    selectFirst(kept, of: length, into: &order, first)
                } else {
                    for r in 0..<length { order[r] = r }
                    order.sort(by: first)
                }
                let out = dst + (line / inner) * kept * inner + line % inner
                for r in 0..<kept { out[r * inner] = Int64(order[r]) }
            }
        }
    }

    /// The `order.count` positions of 0..<length that come first by `first` (a strict total
    /// order), in that order: a heap whose root is the last one kept so far.
    private static func selectFirst(_ kept: Int, of length: Int, into order: inout [Int], _ first: (Int, Int) -> Bool) {
        func siftDown(_ start: Int, _ count: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var last = i
                if left < count && first(order[last], order[left]) { last = left }
                if right < count && first(order[last], order[right]) { last = right }
                if last == i { return }
                order.swapAt(i, last)
                i = last
            }
        }
        for r in 0..<kept { order[r] = r }
        for i in stride(from: kept / 2 - 1, through: 0, by: -1) { siftDown(i, kept) }
        for q in kept..<length where kept > 0 && first(q, order[0]) {
            order[0] = q
            siftDown(0, kept)
        }
        order.sort(by: first)
    }

    /// out[..., r, ...] = a[..., indices[..., r, ...], ...] along `axis` (`np.take_along_axis`
    /// with in-range indices made by this file); the gradient scatters back (`scatterAlongAxis`).
    static func takeAlongAxis(_ a: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
        let out = try Tensor(shape: indices.shape, dtype: a.dtype, op: "take_along_axis")
        let along = a.rank == 0 ? nil : try Shape.normalize(axis: axis, rank: a.rank, op: "take_along_axis")
        var offsets = [Int]()
        offsets.reserveCapacity(indices.count)
        alongAxis(a.shape, indices, along) { source, _ in offsets.append(source) }  // (targets come in order)
        Strided.gather(itemSize: a.dtype.itemSize, from: a.storage.bytes, offsets: offsets, to: out.storage.bytes)
        let shape = a.shape
        return try out.recording("take_along_axis", [a]) { g in [try scatterAlongAxis(g, indices, axis: axis, into: shape)] }
    }

    /// A zero float tensor of `shape` with `g` added at `indices` along `axis`: the backward of
    /// `takeAlongAxis`, whose own backward is `takeAlongAxis` again.
    static func scatterAlongAxis(_ g: Tensor, _ indices: Tensor, axis: Int, into shape: [Int]) throws -> Tensor {
        if halfOnly(g) { return try half(scatterAlongAxis(single(g), indices, axis: axis, into: shape)) }
        let out = try Tensor(shape: shape, dtype: g.dtype, zeroed: true, op: "scatter_along_axis")
        let along = shape.isEmpty ? nil : try Shape.normalize(axis: axis, rank: shape.count, op: "scatter_along_axis")
        func run<T: FloatElement>(_: T.Type) {
            alongAxis(shape, indices, along) { source, target in out.pointer(T.self)[source] += g.pointer(T.self)[target] }
        }
        try g.dtype.dispatchFloat("scatter_along_axis", run, run)
        return try out.recording("scatter_along_axis", [g]) { gg in [try takeAlongAxis(gg, indices, axis: axis)] }
    }

    /// Calls `body(source, target)` for every element of `indices` (flat position `target`),
    /// with `source` the flat position in a tensor of `shape` it names along axis `along`.
    private static func alongAxis(_ shape: [Int], _ indices: Tensor, _ along: Int?, _ body: (Int, Int) -> Void) {
        guard let along else {
            if indices.count > 0 { body(0, 0) }
            return
        }
        let positions = indices.pointer(Int64.self)
        let picked = indices.shape[along], length = shape[along]
        let inner = shape[(along + 1)...].reduce(1, *)
        let outer = picked * inner == 0 ? 0 : indices.count / (picked * inner)
        for o in 0..<outer {
            for r in 0..<picked {
                for i in 0..<inner {
                    let target = (o * picked + r) * inner + i
                    body((o * length + Int(positions[target])) * inner + i, target)
                }
            }
        }
    }
}
