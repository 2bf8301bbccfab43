/// PyTorch's Upsample (no parameters); see `Ops.interpolate` for the semantics.
public final class Upsample: Module {
    private let size: [Int]?, scaleFactor: [Double]?
    private let mode: InterpolationMode, alignCorners: Bool

    /// A layer resampling its input to `size` or by `scaleFactor` (exactly one given; one
    /// value for every spatial axis, or one per axis), in `mode`; `alignCorners` only with the
    /// linear modes.
    public init(size: [Int]?, scaleFactor: [Double]?, mode: InterpolationMode = .nearest, alignCorners: Bool = false) throws {
        guard (size == nil) != (scaleFactor == nil) else {
            throw EngineError.invalidArgument("Upsample: exactly one of size and scale_factor must be given")
        }
        guard size?.allSatisfy({ $0 > 0 }) ?? true, (1...2).contains(size?.count ?? 1) else {
            throw EngineError.invalidArgument("Upsample: size must be 1 or 2 positive values, got \(size ?? [])")
        }
        guard scaleFactor?.allSatisfy({ $0.isFinite && $0 > 0 }) ?? true, (1...2).contains(scaleFactor?.count ?? 1) else {
            throw EngineError.invalidArgument("Upsample: scale_factor must be 1 or 2 positive finite values, got \(scaleFactor ?? [])")
        }
        guard !alignCorners || mode != .nearest else {
            throw EngineError.invalidArgument("Upsample: align_corners can only be set with the interpolating modes linear and bilinear")
        }
        (self.size, self.scaleFactor, self.mode, self.alignCorners) = (size, scaleFactor, mode, alignCorners)
        super.init(kind: "Upsample")
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.interpolate(inputs[0], size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)]
    }

    /// PyTorch's repr: `scale_factor=2.0, mode='nearest'` or `size=(3, 4), mode='bilinear'`.
    override var settings: String {
        func text<V>(_ values: [V]) -> String { values.count == 1 ? "\(values[0])" : "(\(values.map { "\($0)" }.joined(separator: ", ")))" }
        let target = scaleFactor.map { "scale_factor=\(text($0))" } ?? "size=\(text(size ?? []))"
        return "\(target), mode='\(mode.name)'"
    }
}
