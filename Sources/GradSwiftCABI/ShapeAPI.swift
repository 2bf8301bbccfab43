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
    guarded("gs_split") {
        let op = "gs_split"
        let t = try tensor(a, op, "a")
        let points = try readInts(boundaries, nboundaries, op, "boundaries", limit: 1 << 20)
        guard let results else { throw CallError.null(op, "results") }
        let pieces = try Ops.split(t, boundaries: points, axis: Int(axis))
        for (i, piece) in pieces.enumerated() { results[i] = Handles.shared.insert(piece) }
    }
}

/// `count` tensors of one shape joined along a new axis `axis` of the result (torch.stack).
/// The caller owns `*result`.
@c(gs_stack)
public func gsStack(_ tensors: UnsafePointer<gs_tensor>?, _ count: Int32, _ axis: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_stack", result) {
        guard count > 0 else { throw CallError.invalid("gs_stack: need at least one tensor, got \(count)") }
        guard let tensors else { throw CallError.null("gs_stack", "tensors") }
        let parts = try (0..<Int(count)).map { try tensor(tensors[$0], "gs_stack", "tensors[\($0)]") }
        return try Ops.stack(parts, axis: Int(axis))
    }
}

/// Axes `start_axis..end_axis` (inclusive, negative from the end) merged into one
/// (torch.flatten; a 0-d tensor becomes 1-D). Shares memory with `a`; the caller owns `*result`.
@c(gs_flatten)
public func gsFlatten(_ a: gs_tensor, _ startAxis: Int64, _ endAxis: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_flatten", result) {
        try Ops.flatten(try tensor(a, "gs_flatten", "a"), startAxis: Int(startAxis), endAxis: Int(endAxis))
    }
}

/// Axis `axis` split into axes of sizes `sizes[0..nsizes)` (one may be -1; torch.unflatten).
/// Shares memory with `a`; the caller owns `*result`.
@c(gs_unflatten)
public func gsUnflatten(_ a: gs_tensor, _ axis: Int64, _ sizes: UnsafePointer<Int64>?, _ nsizes: Int32,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_unflatten", result) {
        try Ops.unflatten(try tensor(a, "gs_unflatten", "a"), axis: Int(axis), sizes: try readInts(sizes, nsizes, "gs_unflatten", "sizes"))
    }
}

/// `a` broadcast to `shape[0..ndim)` (NumPy's rules: np.broadcast_to), as a new tensor. The
/// caller owns `*result`.
@c(gs_broadcast_to)
public func gsBroadcastTo(_ a: gs_tensor, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_broadcast_to", result) {
        try Ops.expand(try tensor(a, "gs_broadcast_to", "a"), to: try readInts(shape, ndim, "gs_broadcast_to", "shape"))
    }
}

/// `a` broadcast to `sizes[0..nsizes)` as Tensor.expand: -1 keeps a dimension's size, extra
/// leading sizes add dimensions. A new tensor; the caller owns `*result`.
@c(gs_expand)
public func gsExpand(_ a: gs_tensor, _ sizes: UnsafePointer<Int64>?, _ nsizes: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_expand", result) {
        try Ops.expand(try tensor(a, "gs_expand", "a"), sizes: try readInts(sizes, nsizes, "gs_expand", "sizes"))
    }
}

/// Axes `source[0..nsource)` moved to positions `destination[0..ndestination)` (as many), the
/// others keeping their order (torch.movedim). The caller owns `*result`.
@c(gs_movedim)
public func gsMovedim(_ a: gs_tensor, _ source: UnsafePointer<Int64>?, _ nsource: Int32, _ destination: UnsafePointer<Int64>?,
                      _ ndestination: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_movedim", result) {
        try Ops.moveAxes(try tensor(a, "gs_movedim", "a"), source: try readInts(source, nsource, "gs_movedim", "source"),
                         destination: try readInts(destination, ndestination, "gs_movedim", "destination"))
    }
}

/// Cuts `a` along `axis` into pieces of ceil(n / chunks) entries (torch.chunk: the last may be
/// smaller, and there may be fewer than `chunks`), written to `outputs`, which has room for
/// `capacity` handles; `*noutputs` gets the number of pieces. Fails, writing nothing, when they do
/// not fit. The caller owns every handle written.
@c(gs_chunk)
public func gsChunk(_ a: gs_tensor, _ chunks: Int64, _ axis: Int64, _ outputs: UnsafeMutablePointer<gs_tensor>?, _ capacity: Int32,
                    _ noutputs: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_chunk") {
        let op = "gs_chunk"
        let t = try tensor(a, op, "a")
        guard let outputs else { throw CallError.null(op, "outputs") }
        guard let noutputs else { throw CallError.null(op, "noutputs") }
        let needed = try Ops.chunkCount(t, chunks: Int(chunks), axis: Int(axis))
        guard needed <= Int(capacity) else {
            throw CallError.invalid("\(op): outputs has room for \(capacity) tensors, the call makes \(needed)")
        }
        let pieces = try Ops.chunk(t, chunks: Int(chunks), axis: Int(axis))
        for (i, piece) in pieces.enumerated() { outputs[i] = Handles.shared.insert(piece) }
        noutputs.pointee = Int32(pieces.count)
    }
}
