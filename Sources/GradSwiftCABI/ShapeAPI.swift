import CHandles
import GradSwift

/// The same elements in a new shape (one entry may be -1); shares memory with `a`.
@c(gs_reshape)
public func gsReshape(_ a: gs_tensor, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_reshape", result) {
        try Ops.reshape(try tensor(a, "gs_reshape", "a"), try readInts(shape, ndim, "gs_reshape", "shape"))
    }
}

/// Axes permuted by `axes[0..naxes)`, or reversed when `naxes` is -1 (np.transpose).
@c(gs_transpose)
public func gsTranspose(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_transpose", result) {
        try Ops.transpose(try tensor(a, "gs_transpose", "a"), axes: try readAxes(axes, naxes, "gs_transpose"))
    }
}

/// Two axes exchanged (np.swapaxes).
@c(gs_swapaxes)
public func gsSwapaxes(_ a: gs_tensor, _ axis1: Int64, _ axis2: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_swapaxes", result) { try Ops.swapAxes(try tensor(a, "gs_swapaxes", "a"), Int(axis1), Int(axis2)) }
}

/// Size-1 axes inserted at `axes[0..naxes)` (positions in the result; np.expand_dims).
@c(gs_unsqueeze)
public func gsUnsqueeze(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_unsqueeze", result) {
        try Ops.unsqueeze(try tensor(a, "gs_unsqueeze", "a"), axes: try readInts(axes, naxes, "gs_unsqueeze", "axes"))
    }
}

/// Size-1 axes removed: those in `axes[0..naxes)`, or all of them when `naxes` is -1.
@c(gs_squeeze)
public func gsSqueeze(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_squeeze", result) {
        try Ops.squeeze(try tensor(a, "gs_squeeze", "a"), axes: try readAxes(axes, naxes, "gs_squeeze"))
    }
}

/// `count` tensors joined along `axis` (np.concatenate).
@c(gs_concat)
public func gsConcat(_ tensors: UnsafePointer<gs_tensor>?, _ count: Int32, _ axis: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_concat", result) {
        guard count > 0 else { throw CallError.invalid("gs_concat: need at least one tensor, got \(count)") }
        guard let tensors else { throw CallError.null("gs_concat", "tensors") }
        let parts = try (0..<Int(count)).map { try tensor(tensors[$0], "gs_concat", "tensors[\($0)]") }
        return try Ops.concat(parts, axis: Int(axis))
    }
}

/// Cuts `a` along `axis` at `nboundaries` split points into `nboundaries + 1` tensors written
/// to `results` (which must have room for them). The caller owns every result handle.
@c(gs_split)
public func gsSplit(_ a: gs_tensor, _ boundaries: UnsafePointer<Int64>?, _ nboundaries: Int32, _ axis: Int64,
                    _ results: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    guarded {
        let op = "gs_split"
        let t = try tensor(a, op, "a")
        let points = try readInts(boundaries, nboundaries, op, "boundaries", limit: 1 << 20)
        guard let results else { throw CallError.null(op, "results") }
        let pieces = try Ops.split(t, boundaries: points, axis: Int(axis))
        for (i, piece) in pieces.enumerated() { results[i] = Handles.shared.insert(piece) }
    }
}
