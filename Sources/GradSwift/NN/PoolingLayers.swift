/// Pooling layers (no parameters); see `Ops.maxPool2d` and `Ops.avgPool2d` for the semantics.
public final class Pool: Module {
    private let reduction: PoolKind, dimensions: Int
    private let kernelSize: Int, stride: Int, padding: Int

    /// A `reduction` pooling layer over 1-D (N, C, L) or 2-D (N, C, H, W) inputs (class name
    /// MaxPool1d, AvgPool2d...). Needs kernel and stride >= 1 and 0 <= padding <= kernel / 2.
    public init(_ reduction: PoolKind, dimensions: Int, kernelSize: Int, stride: Int, padding: Int) throws {
        let name = (reduction == .max ? "MaxPool" : "AvgPool") + "\(dimensions)d"
        guard dimensions == 1 || dimensions == 2 else {
            throw EngineError.invalidArgument("Pool: dimensions must be 1 or 2, got \(dimensions)")
        }
        guard kernelSize > 0 && stride > 0 else {
            throw EngineError.invalidArgument("\(name): kernel_size and stride must be positive, got \(kernelSize) and \(stride)")
        }
        guard padding >= 0 && padding <= kernelSize / 2 else {
            throw EngineError.invalidArgument("\(name): padding must be between 0 and half the kernel size \(kernelSize), got \(padding)")
        }
        (self.reduction, self.dimensions) = (reduction, dimensions)
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
        super.init(kind: name)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let x = inputs[0]
        switch (reduction, dimensions) {
        case (.max, 1): return [try Ops.maxPool1d(x, kernel: kernelSize, stride: stride, padding: padding)]
        case (.max, _): return [try Ops.maxPool2d(x, kernel: kernelSize, stride: stride, padding: padding)]
        case (.average, 1): return [try Ops.avgPool1d(x, kernel: kernelSize, stride: stride, padding: padding)]
        case (.average, _): return [try Ops.avgPool2d(x, kernel: kernelSize, stride: stride, padding: padding)]
        }
    }

    override var settings: String { "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding)" }
}
