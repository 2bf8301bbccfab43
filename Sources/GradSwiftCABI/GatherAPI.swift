import CHandles
import GradSwift

// PyTorch's indexing along one dimension (Ops/Gather.swift). Index tensors are int64; an
// index out of range, a dimension out of range or a misfitting shape is an error status.

/// How gs_scatter and gs_scatter_value combine a written value with the element there.
@c public enum gs_scatter_reduce: Int32 {
    /// Overwrite (the last write wins where an index repeats).
    case none = 0
    /// Add the value.
    case add = 1
    /// Multiply by the value (not differentiable with respect to src).
    case multiply = 2
}

/// `out[p] = a[p with p[dim] = index[p]]` over the positions of `index` (torch.gather). The
/// caller owns `*result`.
@c(gs_gather)
public func gsGather(_ a: gs_tensor, _ dim: Int64, _ index: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_gather"
    return producing(op, result) { try Ops.gather(try tensor(a, op, "a"), dim: Int(dim), index: try tensor(index, op, "index")) }
}

/// `a` with `src[p]` written at `p with p[dim] = index[p]` (torch.scatter), combined as
/// `reduce` (a gs_scatter_reduce code) says; `src` has a's dtype. The caller owns `*result`.
@c(gs_scatter)
public func gsScatter(_ a: gs_tensor, _ dim: Int64, _ index: gs_tensor, _ src: gs_tensor, _ reduce: Int32,
                      _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_scatter"
    return producing(op, result) {
        let mode = try scatterReduction(reduce, op)
        return try Ops.scatter(try tensor(a, op, "a"), dim: Int(dim), index: try tensor(index, op, "index"),
                               src: try tensor(src, op, "src"), reduce: mode)
    }
}

/// gs_scatter with every written value equal to `value`. The caller owns `*result`.
@c(gs_scatter_value)
public func gsScatterValue(_ a: gs_tensor, _ dim: Int64, _ index: gs_tensor, _ value: Double, _ reduce: Int32,
                           _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_scatter_value"
    return producing(op, result) {
        let mode = try scatterReduction(reduce, op)
        return try Ops.scatter(try tensor(a, op, "a"), dim: Int(dim), index: try tensor(index, op, "index"), value: value, reduce: mode)
    }
}

/// `a` plus `src`'s elements added at the positions `index` names along `dim`
/// (torch.scatter_add; repeats accumulate). The caller owns `*result`.
@c(gs_scatter_add)
public func gsScatterAdd(_ a: gs_tensor, _ dim: Int64, _ index: gs_tensor, _ src: gs_tensor,
                         _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_scatter_add"
    return producing(op, result) {
        try Ops.scatterAdd(try tensor(a, op, "a"), dim: Int(dim), index: try tensor(index, op, "index"), src: try tensor(src, op, "src"))
    }
}

/// The slices of `a` along `dim` at the positions of the 1-D (or 0-d) `index`
/// (torch.index_select). The caller owns `*result`.
@c(gs_index_select)
public func gsIndexSelect(_ a: gs_tensor, _ dim: Int64, _ index: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_index_select"
    return producing(op, result) { try Ops.indexSelect(try tensor(a, op, "a"), dim: Int(dim), index: try tensor(index, op, "index")) }
}

/// `a` with the 0-d `value` (converted to a's dtype) where the bool `mask` is true, mask and
/// `a` broadcast together (torch.masked_fill). The caller owns `*result`.
@c(gs_masked_fill)
public func gsMaskedFill(_ a: gs_tensor, _ mask: gs_tensor, _ value: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_masked_fill"
    return producing(op, result) {
        try Ops.maskedFill(try tensor(a, op, "a"), mask: try tensor(mask, op, "mask"), value: try tensor(value, op, "value"))
    }
}

/// Elements of `a` picked along `dim` by `indices` (same rank; both broadcast outside `dim`),
/// or from the flattened `a` when `flatten` is set (torch.take_along_dim). The caller owns
/// `*result`.
@c(gs_take_along_dim)
public func gsTakeAlongDim(_ a: gs_tensor, _ indices: gs_tensor, _ dim: Int64, _ flatten: Bool,
                           _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_take_along_dim"
    return producing(op, result) {
        try Ops.takeAlongDim(try tensor(a, op, "a"), indices: try tensor(indices, op, "indices"), dim: flatten ? nil : Int(dim))
    }
}

/// The (n, ndim) int64 coordinates of the nonzero elements of `a`, in row-major order
/// (torch.nonzero). The caller owns `*result`.
@c(gs_nonzero)
public func gsNonzero(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_nonzero", result) { try Ops.nonzero(try tensor(a, "gs_nonzero", "a")) }
}

/// The coordinates of the nonzero elements of `a` as one 1-D int64 tensor per dimension (a 0-d
/// `a` counts as 1-D; torch.nonzero(as_tuple=True)), written to `outputs[0..<*noutputs]`, which
/// has room for `capacity` handles (max(ndim, 1) are needed). The caller owns every handle written.
@c(gs_nonzero_tuple)
public func gsNonzeroTuple(_ a: gs_tensor, _ outputs: UnsafeMutablePointer<gs_tensor>?, _ capacity: Int32,
                           _ noutputs: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_nonzero_tuple") {
        let op = "gs_nonzero_tuple"
        let t = try tensor(a, op, "a")
        guard let outputs else { throw CallError.null(op, "outputs") }
        guard let noutputs else { throw CallError.null(op, "noutputs") }
        guard Int(capacity) >= max(t.rank, 1) else {
            throw CallError.invalid("\(op): outputs has room for \(capacity) handles, \(max(t.rank, 1)) are needed")
        }
        let columns = try Ops.nonzeroColumns(t)
        for (i, column) in columns.enumerated() { outputs[i] = Handles.shared.insert(column) }
        noutputs.pointee = Int32(columns.count)
    }
}

/// Decodes a gs_scatter_reduce code.
private func scatterReduction(_ code: Int32, _ op: String) throws -> Ops.ScatterReduction? {
    switch gs_scatter_reduce(rawValue: code) {
    case .none?: return nil
    case .add?: return .add
    case .multiply?: return .multiply
    case nil: throw CallError.invalid("\(op): unknown reduce code \(code) (0 none, 1 add, 2 multiply)")
    }
}
