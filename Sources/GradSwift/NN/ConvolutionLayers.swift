/// Convolution layers with PyDyNet's parameters: "weight" (Cout, Cin, K[, K]) and, when
/// `bias`, "bias" (1, Cout, 1[, 1]); both initialised as PyDyNet does (Kaiming uniform with
/// a = √5 for the weight, U(-1/√fan_in, 1/√fan_in) for the bias, fans counted PyDyNet's way).
public final class Conv1d: Module {
    private let stride: Int, padding: Int
    /// The repr arguments, fixed at construction.
    private let text: String

    /// A layer mapping (N, `inChannels`, L) to (N, `outChannels`, Lout).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, dtype: DType = .float32) throws {
        (self.stride, self.padding) = (stride, padding)
        text = convolutionSettings(inChannels, outChannels, kernelSize, stride, padding, bias)
        super.init(kind: "Conv1d")
        try registerConvolution(self, "Conv1d", [outChannels, inChannels, kernelSize], stride, padding, bias, dtype)
    }

    /// Draws the weight and bias again (see `resetConvolution`).
    override public func resetParameters() throws { try resetConvolution(self) }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.conv1d(inputs[0], parameter("weight")!, bias: parameter("bias"), stride: stride, padding: padding)]
    }

    override var settings: String { text }
}

/// 2-D convolution layer with square kernels; see `Conv1d`.
public final class Conv2d: Module {
    private let stride: Int, padding: Int
    /// The repr arguments, fixed at construction.
    private let text: String

    /// A layer mapping (N, `inChannels`, H, W) to (N, `outChannels`, Hout, Wout).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, dtype: DType = .float32) throws {
        (self.stride, self.padding) = (stride, padding)
        text = convolutionSettings(inChannels, outChannels, kernelSize, stride, padding, bias)
        super.init(kind: "Conv2d")
        try registerConvolution(self, "Conv2d", [outChannels, inChannels, kernelSize, kernelSize], stride, padding, bias, dtype)
    }

    /// Draws the weight and bias again (see `resetConvolution`).
    override public func resetParameters() throws { try resetConvolution(self) }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.conv2d(inputs[0], parameter("weight")!, bias: parameter("bias"), stride: stride, padding: padding)]
    }

    override var settings: String { text }
}

/// PyDyNet's repr arguments of a convolution layer.
private func convolutionSettings(_ inChannels: Int, _ outChannels: Int, _ kernelSize: Int,
                                 _ stride: Int, _ padding: Int, _ bias: Bool) -> String {
    "in_channels=\(inChannels), out_channels=\(outChannels), kernel_size=\(kernelSize), padding=\(padding), stride=\(stride), bias=\(bias ? "True" : "False")"
}

/// Checks the layer's sizes, then creates, registers and initialises its weight and bias.
private func registerConvolution(_ layer: Module, _ kind: String, _ weightShape: [Int], _ stride: Int, _ padding: Int,
                                 _ bias: Bool, _ dtype: DType) throws {
    guard dtype.isFloatingPoint else {
        throw EngineError.dtype("\(kind): dtype must be float16, float32 or float64, got \(dtype.name)")
    }
    guard weightShape[0] > 0 && weightShape[1] > 0 else {
        throw EngineError.invalidArgument("\(kind): in_channels and out_channels must be positive, got \(weightShape[1]) and \(weightShape[0])")
    }
    guard weightShape[2] > 0 else {
        throw EngineError.invalidArgument("\(kind): kernel_size must be positive, got \(weightShape[2])")
    }
    guard stride > 0 else { throw EngineError.invalidArgument("\(kind): stride must be positive, got \(stride)") }
    guard padding >= 0 else { throw EngineError.invalidArgument("\(kind): padding must be non-negative, got \(padding)") }
    try layer.register("weight", try Tensor(shape: weightShape, dtype: dtype, op: kind))
    if bias {
        let shape = [1, weightShape[0]] + [Int](repeating: 1, count: weightShape.count - 2)
        try layer.register("bias", try Tensor(shape: shape, dtype: dtype, op: kind))
    }
    try resetConvolution(layer)
}

/// PyDyNet's initialisation: Kaiming uniform weight with a = √5, bias from U(-b, b) with
/// b = 1/√fan_in (fans counted PyDyNet's way).
private func resetConvolution(_ layer: Module) throws {
    guard let weight = layer.parameter("weight") else { return }
    try Init.kaimingUniform(weight, a: 5.0.squareRoot())
    if let bias = layer.parameter("bias") {
        let bound = Init.fanInBound(try Init.fans(weight).fanIn)
        try Init.uniform(bias, low: -bound, high: bound)
    }
}

/// PyTorch's ConvTranspose1d and ConvTranspose2d: parameters "weight" (in, out, kH[, kW]) and,
/// when `bias`, "bias" (out), initialised as PyTorch does (Kaiming uniform with a = √5 and
/// U(-1/√fan_in, 1/√fan_in) for the bias, fan_in = out·kH·kW, PyTorch's count for this
/// layout); repr as PyTorch's.
public final class ConvTranspose: Module {
    private let stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int)
    /// The repr arguments, fixed at construction.
    private let text: String

    /// A layer mapping (N, `inChannels`, [H,] W) to (N, `outChannels`, [Hout,] Wout); 1-D when
    /// `kernelSize` has one element, 2-D with (height, width) pairs otherwise.
    public init(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int], padding: [Int], outputPadding: [Int],
                bias: Bool = true, dtype: DType = .float32) throws {
        let dims = kernelSize.count
        let kind = "ConvTranspose\(dims)d"
        guard dims == 1 || dims == 2, [stride, padding, outputPadding].allSatisfy({ $0.count == dims }) else {
            throw EngineError.invalidArgument("ConvTranspose: kernel_size, stride, padding and output_padding need 1 or 2 values each")
        }
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("\(kind): dtype must be float16, float32 or float64, got \(dtype.name)")
        }
        guard inChannels > 0 && outChannels > 0 else {
            throw EngineError.invalidArgument("\(kind): in_channels and out_channels must be positive, got \(inChannels) and \(outChannels)")
        }
        func tuple(_ v: [Int]) -> String { dims == 1 ? "(\(v[0]),)" : "(\(v[0]), \(v[1]))" }
        guard kernelSize.allSatisfy({ $0 > 0 }) else { throw EngineError.invalidArgument("\(kind): kernel_size must be positive, got \(tuple(kernelSize))") }
        guard stride.allSatisfy({ $0 > 0 }) else { throw EngineError.invalidArgument("\(kind): stride must be positive, got \(tuple(stride))") }
        guard padding.allSatisfy({ $0 >= 0 }) else { throw EngineError.invalidArgument("\(kind): padding must be non-negative, got \(tuple(padding))") }
        guard zip(outputPadding, stride).allSatisfy({ $0 >= 0 && $0 < $1 }) else {
            throw EngineError.invalidArgument("\(kind): output_padding must be non-negative and smaller than the stride, got \(tuple(outputPadding))")
        }
        let pair = { (v: [Int]) in dims == 1 ? (1, v[0]) : (v[0], v[1]) }
        (self.stride, self.padding, self.outputPadding) = (pair(stride), dims == 1 ? (0, padding[0]) : pair(padding),
                                                           dims == 1 ? (0, outputPadding[0]) : pair(outputPadding))
        var settings = "\(inChannels), \(outChannels), kernel_size=\(tuple(kernelSize)), stride=\(tuple(stride))"
        if padding.contains(where: { $0 != 0 }) { settings += ", padding=\(tuple(padding))" }
        if outputPadding.contains(where: { $0 != 0 }) { settings += ", output_padding=\(tuple(outputPadding))" }
        if !bias { settings += ", bias=False" }
        text = settings
        super.init(kind: kind)
        try register("weight", try Tensor(shape: [inChannels, outChannels] + kernelSize, dtype: dtype, op: kind))
        if bias { try register("bias", try Tensor(shape: [outChannels], dtype: dtype, op: kind)) }
        try resetParameters()
    }

    /// Draws the weight and bias again, as PyTorch's reset_parameters.
    override public func resetParameters() throws {
        guard let weight = parameter("weight") else { return }
        try Init.kaimingUniform(weight, a: 5.0.squareRoot(), mode: .fanOut, nonlinearity: .leakyRelu)
        if let bias = parameter("bias") {
            let bound = Init.fanInBound(try Init.fans(weight).fanOut)
            try Init.uniform(bias, low: -bound, high: bound)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        let (weight, bias) = (parameter("weight")!, parameter("bias"))
        if weight.rank == 3 {
            return [try Ops.convTranspose1d(inputs[0], weight, bias: bias, stride: stride.1, padding: padding.1,
                                            outputPadding: outputPadding.1)]
        }
        return [try Ops.convTranspose2d(inputs[0], weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)]
    }

    override var settings: String { text }
}
