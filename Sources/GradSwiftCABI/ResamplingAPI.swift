import CHandles
import GradSwift

// Resampling: PyTorch's interpolate and the constructor of its Upsample layer.

/// The size or scale_factor of a resampling from C as (height, width) values: both 0 for
/// none, height 0 for one value (width's) on every spatial axis.
private func pair<V: Numeric>(_ h: V, _ w: V) -> [V]? {
    h == 0 && w == 0 ? nil : h == 0 ? [w] : [h, w]
}

/// An interpolation mode code (0 nearest, 1 linear, 2 bilinear).
private func interpolationMode(_ code: Int32, _ op: String) throws -> InterpolationMode {
    guard let mode = InterpolationMode(rawValue: code) else {
        throw CallError.invalid("\(op): unknown interpolation mode \(code) (0 nearest, 1 linear, 2 bilinear)")
    }
    return mode
}

/// PyTorch's interpolate of `x` (N, C, L) or (N, C, H, W) to the output size (`size_h`,
/// `size_w`), or by the factors (`scale_h`, `scale_w`) to floor(in * scale): exactly one pair
/// is non-zero, and a pair whose height is 0 gives its width value to every spatial axis (the
/// only form for 3-D inputs). `mode`: 0 nearest, 1 linear (3-D input), 2 bilinear (4-D input);
/// `align_corners` only with the linear modes. Differentiable to any order (the backward is
/// linear). The caller owns `*result`.
@c(gs_interpolate)
public func gsInterpolate(_ x: gs_tensor, _ sizeH: Int64, _ sizeW: Int64, _ scaleH: Double, _ scaleW: Double, _ mode: Int32,
                          _ alignCorners: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_interpolate"
    return producing(op, result) {
        try Ops.interpolate(try tensor(x, op, "x"), size: pair(Int(sizeH), Int(sizeW)), scaleFactor: pair(scaleH, scaleW),
                            mode: try interpolationMode(mode, op), alignCorners: alignCorners)
    }
}

/// An Upsample layer resampling as gs_interpolate does with these arguments (checked here as
/// far as they do not depend on the input). The caller owns `*result` (release with
/// gs_module_release).
@c(gs_upsample_new)
public func gsUpsampleNew(_ sizeH: Int64, _ sizeW: Int64, _ scaleH: Double, _ scaleW: Double, _ mode: Int32,
                          _ alignCorners: Bool, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let op = "gs_upsample_new"
    return producing(op, result) {
        try Upsample(size: pair(Int(sizeH), Int(sizeW)), scaleFactor: pair(scaleH, scaleW), mode: try interpolationMode(mode, op),
                     alignCorners: alignCorners)
    }
}
