import CHandles
import GradSwift

/// `a` with its entries reversed along the axes `axes[0..naxes)` (torch.flip). The caller owns
/// `*result`.
@c(gs_flip)
public func gsFlip(_ a: gs_tensor, _ axes: UnsafePointer<Int64>?, _ naxes: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_flip", result) { try Ops.flip(try tensor(a, "gs_flip", "a"), axes: try readInts(axes, naxes, "gs_flip", "axes")) }
}

/// `a` rolled by `shifts[i]` places along `axes[i]` (i < `count`), wrapping around
/// (torch.roll); with `naxes` 0 and one shift, the flattened `a` is rolled and reshaped back.
/// The caller owns `*result`.
@c(gs_roll)
public func gsRoll(_ a: gs_tensor, _ shifts: UnsafePointer<Int64>?, _ nshifts: Int32, _ axes: UnsafePointer<Int64>?, _ naxes: Int32,
                   _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_roll", result) {
        try Ops.roll(try tensor(a, "gs_roll", "a"), shifts: try readInts(shifts, nshifts, "gs_roll", "shifts"),
                     axes: try readInts(axes, naxes, "gs_roll", "axes"))
    }
}

/// `a` with the entries above diagonal `diagonal` of its last two axes zeroed (torch.tril).
/// The caller owns `*result`.
@c(gs_tril)
public func gsTril(_ a: gs_tensor, _ diagonal: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tril", result) { try Ops.tril(try tensor(a, "gs_tril", "a"), diagonal: Int(diagonal)) }
}

/// `a` with the entries below diagonal `diagonal` of its last two axes zeroed (torch.triu).
/// The caller owns `*result`.
@c(gs_triu)
public func gsTriu(_ a: gs_tensor, _ diagonal: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_triu", result) { try Ops.triu(try tensor(a, "gs_triu", "a"), diagonal: Int(diagonal)) }
}
