import CHandles
import GradSwift

/// `a` repeated `reps[i]` times along each axis (np.tile: missing leading counts are 1, extra
/// ones add axes). The caller owns `*result`.
@c(gs_tile)
public func gsTile(_ a: gs_tensor, _ reps: UnsafePointer<Int64>?, _ nreps: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tile", result) { try Ops.tile(try tensor(a, "gs_tile", "a"), reps: try readInts(reps, nreps, "gs_tile", "reps")) }
}

/// `a` repeated as PyTorch's Tensor.repeat: `nreps` is at least the rank of `a`, extra leading
/// counts add axes. The caller owns `*result`.
@c(gs_repeat)
public func gsRepeat(_ a: gs_tensor, _ reps: UnsafePointer<Int64>?, _ nreps: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_repeat", result) { try Ops.repeatTensor(try tensor(a, "gs_repeat", "a"), try readInts(reps, nreps, "gs_repeat", "reps")) }
}

/// Each entry of `a` along `axis` repeated `repeats` times in a row, or each element of the
/// flattened `a` when `all_axes` (torch.repeat_interleave). The caller owns `*result`.
@c(gs_repeat_interleave)
public func gsRepeatInterleave(_ a: gs_tensor, _ repeats: Int64, _ axis: Int64, _ allAxes: Bool,
                               _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_repeat_interleave", result) {
        try Ops.repeatInterleave(try tensor(a, "gs_repeat_interleave", "a"), repeats: Int(repeats), axis: allAxes ? nil : Int(axis))
    }
}

/// Entry i of `a` along `axis` (of the flattened `a` when `all_axes`) repeated `repeats[i]`
/// times; `repeats` is an int64 tensor, 0-d or 1-D, with one count per entry or one for all
/// (torch.repeat_interleave). The caller owns `*result`.
@c(gs_repeat_interleave_tensor)
public func gsRepeatInterleaveTensor(_ a: gs_tensor, _ repeats: gs_tensor, _ axis: Int64, _ allAxes: Bool,
                                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_repeat_interleave_tensor"
    return producing(op, result) {
        try Ops.repeatInterleave(try tensor(a, op, "a"), repeats: try tensor(repeats, op, "repeats"), axis: allAxes ? nil : Int(axis))
    }
}
