import CHandles
import GradSwift

// MARK: Statistics (naxes = -1 means every axis)

/// Product over `axes[0..naxes)` (every axis when `naxes` is -1); bool and int give int64, an
/// empty product is 1; the gradient is exact where elements are zero. The caller owns `*result`.
@c(gs_prod)
public func gsProd(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                   _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_prod", a, axes, naxes, result) { try Ops.prod($0, axes: $1, keepDims: keepdims) }
}

/// Variance over `axes[0..naxes)`: sum of squared deviations / max(0, N - correction), N the
/// number of reduced elements (correction 1: unbiased, finite). The caller owns `*result`.
@c(gs_var)
public func gsVar(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ correction: Double, _ keepdims: Bool,
                  _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_var", a, axes, naxes, result) { try Ops.variance($0, axes: $1, correction: correction, keepDims: keepdims) }
}

/// Standard deviation: the square root of gs_var's result. The caller owns `*result`.
@c(gs_std)
public func gsStd(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ correction: Double, _ keepdims: Bool,
                  _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_std", a, axes, naxes, result) {
        try Ops.standardDeviation($0, axes: $1, correction: correction, keepDims: keepdims)
    }
}

/// log(sum(exp(a))) over `axes[0..naxes)`, without overflow. The caller owns `*result`.
@c(gs_logsumexp)
public func gsLogsumexp(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_logsumexp", a, axes, naxes, result) { try Ops.logsumexp($0, axes: $1, keepDims: keepdims) }
}

/// Vector p-norm over `axes[0..naxes)`: (sum |a|^p)^(1/p); p = INFINITY gives max |a|,
/// -INFINITY min |a|, 0 the count of nonzeros (p not NaN). The caller owns `*result`.
@c(gs_norm)
public func gsNorm(_ a: gs_tensor, _ p: Double, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                   _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_norm", a, axes, naxes, result) { try Ops.norm($0, p: p, axes: $1, keepDims: keepdims) }
}

/// Whether every element over `axes[0..naxes)` is nonzero (bool, no gradient). The caller owns
/// `*result`.
@c(gs_all)
public func gsAll(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                  _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_all", a, axes, naxes, result) { try Ops.all($0, axes: $1, keepDims: keepdims) }
}

/// Whether some element over `axes[0..naxes)` is nonzero (bool, no gradient). The caller owns
/// `*result`.
@c(gs_any)
public func gsAny(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ keepdims: Bool,
                  _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    axesCall("gs_any", a, axes, naxes, result) { try Ops.any($0, axes: $1, keepDims: keepdims) }
}

// MARK: Scans and sorting (one axis)

/// Running sum along `axis` (bool and int give int64). The caller owns `*result`.
@c(gs_cumsum)
public func gsCumsum(_ a: gs_tensor, _ axis: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_cumsum", result) { try Ops.cumsum(try tensor(a, "gs_cumsum", "a"), axis: Int(axis)) }
}

/// Running product along `axis` (bool and int give int64); the gradient is exact where
/// elements are zero. The caller owns `*result`.
@c(gs_cumprod)
public func gsCumprod(_ a: gs_tensor, _ axis: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_cumprod", result) { try Ops.cumprod(try tensor(a, "gs_cumprod", "a"), axis: Int(axis)) }
}

/// `a` sorted along `axis` (stable; NaN above every number) into `*values`, and the int64
/// positions they came from into `*indices`. The caller owns both.
@c(gs_sort)
public func gsSort(_ a: gs_tensor, _ axis: Int64, _ descending: Bool, _ values: UnsafeMutablePointer<gs_tensor>?,
                   _ indices: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingPair("gs_sort", values, indices) {
        try Ops.sort(try tensor(a, "gs_sort", "a"), axis: Int(axis), descending: descending)
    }
}

/// The int64 positions that sort `a` along `axis` (stable). The caller owns `*result`.
@c(gs_argsort)
public func gsArgsort(_ a: gs_tensor, _ axis: Int64, _ descending: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_argsort", result) { try Ops.argsort(try tensor(a, "gs_argsort", "a"), axis: Int(axis), descending: descending) }
}

/// The `k` largest (or smallest) elements along `axis`, sorted, into `*values` and their
/// int64 positions into `*indices` (0 <= k <= the axis length). The caller owns both.
@c(gs_topk)
public func gsTopk(_ a: gs_tensor, _ k: Int64, _ axis: Int64, _ largest: Bool, _ values: UnsafeMutablePointer<gs_tensor>?,
                   _ indices: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingPair("gs_topk", values, indices) {
        try Ops.topk(try tensor(a, "gs_topk", "a"), k: Int(k), axis: Int(axis), largest: largest)
    }
}

/// The maximum along `axis` into `*values` and the int64 index of its first occurrence into
/// `*indices` (PyTorch's max(dim=...): the gradient goes to that index). The caller owns both.
@c(gs_max_dim)
public func gsMaxDim(_ a: gs_tensor, _ axis: Int64, _ keepdims: Bool, _ values: UnsafeMutablePointer<gs_tensor>?,
                     _ indices: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingPair("gs_max_dim", values, indices) {
        try Ops.extremum(.max, try tensor(a, "gs_max_dim", "a"), axis: Int(axis), keepDims: keepdims)
    }
}

/// As gs_max_dim, for the minimum. The caller owns both results.
@c(gs_min_dim)
public func gsMinDim(_ a: gs_tensor, _ axis: Int64, _ keepdims: Bool, _ values: UnsafeMutablePointer<gs_tensor>?,
                     _ indices: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingPair("gs_min_dim", values, indices) {
        try Ops.extremum(.min, try tensor(a, "gs_min_dim", "a"), axis: Int(axis), keepDims: keepdims)
    }
}

// MARK: Helpers

/// Runs `op` on a tensor handle and an axis list (`naxes` -1: every axis).
@inline(__always)
private func axesCall(_ name: String, _ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32,
                      _ result: UnsafeMutablePointer<gs_tensor>?, _ op: (Tensor, [Int]?) throws -> Tensor) -> Int32 {
    producing(name, result) { try op(try tensor(a, name, "a"), try readAxes(axes, naxes, name)) }
}

/// Stores the two tensors `body` returns in `*values` and `*indices` (both checked first).
private func producingPair(_ name: String, _ values: UnsafeMutablePointer<gs_tensor>?, _ indices: UnsafeMutablePointer<gs_tensor>?,
                           _ body: () throws -> (values: Tensor, indices: Tensor)) -> Int32 {
    guarded(name) {
        guard let values else { throw CallError.null(name, "values") }
        guard let indices else { throw CallError.null(name, "indices") }
        let pair = try body()
        values.pointee = Handles.shared.insert(pair.values)
        indices.pointee = Handles.shared.insert(pair.indices)
    }
}
