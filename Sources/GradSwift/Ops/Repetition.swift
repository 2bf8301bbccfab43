/// Repetition: `np.tile`, `Tensor.repeat` and `repeat_interleave`, written with reshape, expand
/// and indexing, so that their gradients (sums over the copies) are those ops' and differentiate
/// again.
extension Ops {
    /// `a` repeated `reps[i]` times along each axis, as `np.tile`: fewer counts than axes are
    /// padded with leading 1s, more add leading axes.
    public static func tile(_ a: Tensor, reps: [Int]) throws -> Tensor {
        try tiled(a, reps, op: "tile")
    }

    /// `a` repeated as PyTorch's `Tensor.repeat`: one count per axis of `a` at least; extra
    /// leading counts add axes.
    public static func repeatTensor(_ a: Tensor, _ reps: [Int]) throws -> Tensor {
        guard reps.count >= a.rank else {
            throw EngineError.invalidArgument("repeat: number of dimensions of repeat dims (\(reps.count)) can not be smaller than number of dimensions of tensor (\(a.rank))")
        }
        return try tiled(a, reps, op: "repeat")
    }

    /// Each entry of `a` along `axis` repeated `repeats` times in a row (`nil`: the entries of
    /// `a` flattened), as `torch.repeat_interleave`.
    public static func repeatInterleave(_ a: Tensor, repeats: Int, axis: Int?) throws -> Tensor {
        let op = "repeat_interleave"
        guard repeats >= 0 else { throw EngineError.invalidArgument("\(op): repeats must be non-negative, got \(repeats)") }
        let x = axis == nil ? try flatten(a) : a
        let ax = try Shape.normalize(axis: axis ?? 0, rank: x.rank, op: op)
        var split = x.shape, expanded = x.shape, result = x.shape
        split.insert(1, at: ax + 1)
        expanded.insert(repeats, at: ax + 1)
        result[ax] = try product(x.shape[ax], repeats, op)
        return try reshape(try expand(try reshape(x, split), to: expanded), result)
    }

    /// Entry i of `a` along `axis` repeated `repeats[i]` times in a row (`nil` axis: the entries
    /// of `a` flattened), as `torch.repeat_interleave` with a tensor of counts: `repeats` is
    /// int64, 0-d or 1-D, with one count per entry or one count for all.
    public static func repeatInterleave(_ a: Tensor, repeats: Tensor, axis: Int?) throws -> Tensor {
        let op = "repeat_interleave"
        let repeats = try int64Index(repeats, op, "repeats")
        guard repeats.rank <= 1 else {
            throw EngineError.invalidArgument("\(op): repeats must be a 0-d or 1-D tensor, got shape \(describe(repeats.shape))")
        }
        let counts = Array(UnsafeBufferPointer(start: repeats.pointer(Int64.self), count: repeats.count)).map { Int($0) }
        if counts.count == 1 { return try repeatInterleave(a, repeats: counts[0], axis: axis) }
        let x = axis == nil ? try flatten(a) : a
        let ax = try Shape.normalize(axis: axis ?? 0, rank: x.rank, op: op)
        guard counts.count == x.shape[ax] else {
            throw EngineError.shapeMismatch("\(op): repeats must have the same size as input along dim, but got repeats.size(0) = \(counts.count) and input.size(\(ax)) = \(x.shape[ax])")
        }
        guard counts.allSatisfy({ $0 >= 0 }) else { throw EngineError.invalidArgument("\(op): repeats can not be negative") }
        var total = 0
        for c in counts {
            let (sum, overflow) = total.addingReportingOverflow(c)
            guard !overflow else { throw EngineError.outOfMemory("\(op): the repeated length overflows") }
            total = sum
        }
        var shape = x.shape
        shape[ax] = total
        _ = try Shape.count(shape, op: op)
        let positions = try Tensor(shape: [total], dtype: .int64, op: op)
        var p = positions.pointer(Int64.self)
        for (i, c) in counts.enumerated() {
            p.update(repeating: Int64(i), count: c)
            p += c
        }
        let key = [IndexItem](repeating: .slice(start: nil, stop: nil, step: nil), count: ax) + [.tensor(positions)]
        return try index(x, key)
    }

    /// `tile` and `repeat`: `a` reshaped so each repeated axis has a size-1 axis before it,
    /// expanded along those, and reshaped to the result.
    private static func tiled(_ a: Tensor, _ reps: [Int], op: String) throws -> Tensor {
        guard reps.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalidArgument("\(op): repeats must be non-negative, got \(reps)")
        }
        let rank = Swift.max(a.rank, reps.count)
        let shape = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let counts = [Int](repeating: 1, count: rank - reps.count) + reps
        var split: [Int] = [], expanded: [Int] = [], result: [Int] = []
        for (size, count) in zip(shape, counts) {
            if count != 1 {
                split += [1, size]
                expanded += [count, size]
            } else {
                split.append(size)
                expanded.append(size)
            }
            result.append(try product(size, count, op))
        }
        _ = try Shape.count(result, op: op)
        return try reshape(try expand(try reshape(a, split), to: expanded), result)
    }

    /// `size * count`, or an error when it overflows.
    private static func product(_ size: Int, _ count: Int, _ op: String) throws -> Int {
        let (value, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow else { throw EngineError.outOfMemory("\(op): repeating \(size) entries \(count) times overflows") }
        return value
    }
}
