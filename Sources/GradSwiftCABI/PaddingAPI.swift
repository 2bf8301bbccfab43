import CHandles
import GradSwift

/// Padding modes of gs_pad (torch.nn.functional.pad's `mode`).
@c public enum gs_pad_mode: Int32 {
    /// Fill with the constant `value`.
    case constant = 0
    /// Mirror the entries next to the edge (each pad smaller than its dimension).
    case reflect = 1
    /// Repeat the edge entry.
    case replicate = 2
    /// Wrap around (each pad at most its dimension).
    case circular = 3
}

/// `a` padded along its last `npads / 2` axes, `pads` holding (before, after) pairs from the
/// last axis backwards (torch.nn.functional.pad); negative entries cut. `mode` is a gs_pad_mode;
/// `value` fills in GS_PAD_MODE_CONSTANT. The caller owns `*result`.
@c(gs_pad)
public func gsPad(_ a: gs_tensor, _ pads: UnsafePointer<Int64>?, _ npads: Int32, _ mode: Int32, _ value: Double,
                  _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_pad", result) {
        let t = try tensor(a, "gs_pad", "a")
        let widths = try readInts(pads, npads, "gs_pad", "pads", limit: 2 * Shape.maxRank)
        guard let padMode = PadMode(rawValue: mode) else {
            throw CallError.invalid("gs_pad: mode \(mode) is not a gs_pad_mode (0 constant, 1 reflect, 2 replicate, 3 circular)")
        }
        return try Ops.pad(t, widths, mode: padMode, value: value)
    }
}
