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

/// Adaptive pooling layers (no parameters); see `Ops.adaptiveAvgPool2d` for the semantics.
public final class AdaptivePool: Module {
    private let reduction: PoolKind
    /// The output size per pooled axis (`nil` keeps the input's size).
    private let outputSize: [Int?]

    /// A `reduction` adaptive pooling layer over the last `outputSize.count` (1 or 2) axes
    /// (class name AdaptiveMaxPool1d, AdaptiveAvgPool2d...). Sizes must be non-negative.
    public init(_ reduction: PoolKind, outputSize: [Int?]) throws {
        let name = (reduction == .max ? "AdaptiveMaxPool" : "AdaptiveAvgPool") + "\(outputSize.count)d"
        guard outputSize.count == 1 || outputSize.count == 2 else {
            throw EngineError.invalidArgument("AdaptivePool: 1 or 2 output sizes are needed, got \(outputSize.count)")
        }
        guard outputSize.allSatisfy({ ($0 ?? 0) >= 0 }) else {
            throw EngineError.invalidArgument("\(name): output sizes must be non-negative, got \(Self.text(outputSize))")
        }
        (self.reduction, self.outputSize) = (reduction, outputSize)
        super.init(kind: name)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let x = inputs[0]
        switch (reduction, outputSize.count) {
        case (.max, 1): return [try Ops.adaptiveMaxPool1d(x, outputSize: outputSize[0])]
        case (.max, _): return [try Ops.adaptiveMaxPool2d(x, outputSize: (outputSize[0], outputSize[1]))]
        case (.average, 1): return [try Ops.adaptiveAvgPool1d(x, outputSize: outputSize[0])]
        case (.average, _): return [try Ops.adaptiveAvgPool2d(x, outputSize: (outputSize[0], outputSize[1]))]
        }
    }

    /// PyTorch's spelling: `5` in 1-D, `(5, None)` in 2-D.
    private static func text(_ sizes: [Int?]) -> String {
        let items = sizes.map { $0.map(String.init) ?? "None" }
        return items.count == 1 ? items[0] : "(\(items.joined(separator: ", ")))"
    }

    override var settings: String { "output_size=\(Self.text(outputSize))" }
}
