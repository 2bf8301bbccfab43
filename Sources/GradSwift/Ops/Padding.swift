/// How `Ops.pad` fills the entries it adds.
public enum PadMode: Int32, Sendable {
    /// A constant value.
    case constant = 0
    /// The entries next to the edge, mirrored about it (the edge itself not repeated).
    case reflect = 1
    /// The edge entry, repeated.
    case replicate = 2
    /// The entries of the other end, as if the axis wrapped around.
    case circular = 3

    /// PyTorch's name of the mode.
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .reflect: return "reflect"
        case .replicate: return "replicate"
        case .circular: return "circular"
        }
    }
}

/// Padding, as `torch.nn.functional.pad`, written with narrow, flip, expand and concat: the
/// gradient of every order is those ops'.
extension Ops {
    /// `a` padded along its last `pads.count / 2` axes: `pads` holds a (before, after) pair for
    /// the last axis, then one for the axis before it, and so on (PyTorch's order); negative
    /// entries remove entries instead. `.constant` fills with `value` (converted to the dtype);
    /// the other modes take the new entries from `a` itself: `.reflect` (each pad smaller than
    /// the axis) and `.replicate` (a non-empty axis) from its edges, leaving at least one entry,
    /// `.circular` from what negative entries keep (each pad at most that); as PyTorch, these
    /// three pad the last 1, 2 or 3 axes of a tensor with one or two more axes.
    public static func pad(_ a: Tensor, _ pads: [Int], mode: PadMode = .constant, value: Double = 0) throws -> Tensor {
        guard pads.count % 2 == 0 else {
            throw EngineError.invalidArgument("pad: padding length must be divisible by 2, got \(pads.count)")
        }
        let axes = pads.count / 2
        guard axes <= a.rank else {
            throw EngineError.invalidArgument("pad: padding length should be less than or equal to two times the input dimension but got padding length \(pads.count) and input of dimension \(a.rank)")
        }
        if mode != .constant {
            guard (1...3).contains(axes) && (a.rank == axes + 1 || a.rank == axes + 2) else {
                throw EngineError.invalidArgument("pad: padding size \(pads.count) is not supported for \(a.rank)-D input in mode '\(mode.name)' (supported: padding size 2 for 2-D or 3-D input, 4 for 3-D or 4-D, 6 for 4-D or 5-D)")
            }
        }
        var out = try copy(a)
        for k in 0..<axes {
            out = try padAxis(out, axis: a.rank - 1 - k, before: pads[2 * k], after: pads[2 * k + 1], mode: mode, value: value)
        }
        return out
    }

    /// `x` padded (or cut, for negative widths) at both ends of `axis`.
    private static func padAxis(_ x: Tensor, axis: Int, before: Int, after: Int, mode: PadMode, value: Double) throws -> Tensor {
        let n = x.shape[axis]
        let setting = "padding (\(before), \(after)) at dimension \(axis) of input \(describe(x.shape))"
        let cutBefore = before < 0 ? before.magnitude : 0, cutAfter = after < 0 ? after.magnitude : 0
        guard cutBefore <= UInt(n), cutAfter <= UInt(n) - cutBefore else {
            throw EngineError.invalidArgument("pad: \(setting) leaves a negative size")
        }
        let kept = n - Int(cutBefore) - Int(cutAfter)
        switch mode {
        case .reflect where before >= n || after >= n:
            throw EngineError.invalidArgument("pad: \(setting): padding size should be less than the corresponding input dimension in mode 'reflect'")
        case .circular where before > kept || after > kept:
            throw EngineError.invalidArgument("pad: \(setting): padding value causes wrapping around more than once in mode 'circular'")
        case .replicate where n == 0 && (before > 0 || after > 0):
            throw EngineError.invalidArgument("pad: \(setting): cannot replicate the edge of an empty dimension")
        case .reflect, .replicate:
            guard kept > 0 || before > 0 || after > 0 || n == 0 else {
                throw EngineError.invalidArgument("pad: \(setting) leaves no entries, which mode '\(mode.name)' does not allow")
            }
        default: break
        }
        let core = kept == n ? x : try narrow(x, axis: axis, start: Int(cutBefore), length: kept)
        // reflect and replicate read the edges of x; circular wraps around what is kept (PyTorch)
        let source = mode == .circular ? core : x
        var pieces: [Tensor] = []
        if before > 0 { pieces.append(try edge(source, axis: axis, width: before, atStart: true, mode: mode, value: value)) }
        pieces.append(core)
        if after > 0 { pieces.append(try edge(source, axis: axis, width: after, atStart: false, mode: mode, value: value)) }
        return pieces.count == 1 ? pieces[0] : try concat(pieces, axis: axis)
    }

    /// The `width` entries `mode` adds before (`atStart`) or after `x` along `axis`.
    private static func edge(_ x: Tensor, axis: Int, width: Int, atStart: Bool, mode: PadMode, value: Double) throws -> Tensor {
        let n = x.shape[axis]
        var shape = x.shape
        shape[axis] = width
        switch mode {
        case .constant:
            return try Tensor.full(value, dtype: x.dtype, shape: shape)
        case .reflect:
            return try flip(try narrow(x, axis: axis, start: atStart ? 1 : n - 1 - width, length: width), axes: [axis])
        case .replicate:
            return try expand(try narrow(x, axis: axis, start: atStart ? 0 : n - 1, length: 1), to: shape)
        case .circular:
            return try narrow(x, axis: axis, start: atStart ? n - width : 0, length: width)
        }
    }
}
