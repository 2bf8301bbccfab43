/// Entries reordered along axes: `torch.flip` and `torch.roll`, written with indexing, narrow
/// and concat, whose gradients move the entries back and differentiate again.
extension Ops {
    /// `a` with the order of its entries reversed along each axis in `axes`, as `torch.flip`.
    public static func flip(_ a: Tensor, axes: [Int]) throws -> Tensor {
        let flipped = try Shape.normalize(axes: axes, rank: a.rank, op: "flip")
        let key = (0..<a.rank).map { flipped.contains($0) ? IndexItem.slice(start: nil, stop: nil, step: -1)
                                                          : .slice(start: nil, stop: nil, step: nil) }
        return try index(a, key)
    }

    /// `a` with its entries moved `shifts[i]` places forward along `axes[i]`, those falling off
    /// the end coming back at the start, as `torch.roll`; with no axes, the flattened `a` is
    /// rolled by one shift and given back its shape.
    public static func roll(_ a: Tensor, shifts: [Int], axes: [Int]) throws -> Tensor {
        guard axes.isEmpty ? shifts.count == 1 : shifts.count == axes.count else {
            throw EngineError.invalidArgument("roll: shifts and dimensions must align, got \(shifts.count) shifts and \(axes.count) dims")
        }
        if axes.isEmpty { return try reshape(try roll(try flatten(a), shifts: shifts, axes: [0]), a.shape) }
        var out = try copy(a)
        for (shift, axis) in zip(shifts, axes) {
            let ax = try Shape.normalize(axis: axis, rank: a.rank, op: "roll")
            let n = a.shape[ax]
            guard n > 0 else { continue }
            let s = (shift % n + n) % n
            guard s > 0 else { continue }
            out = try concat([narrow(out, axis: ax, start: n - s, length: s), narrow(out, axis: ax, start: 0, length: n - s)], axis: ax)
        }
        return out
    }
}
