/// Activation layers (PyDyNet's `nn.Sigmoid` ... `nn.Softmax`, and PyTorch's `nn.GELU`,
/// `nn.ELU`, ...): no parameters, one input.

/// σ(x), elementwise.
public final class Sigmoid: Module {
    /// A sigmoid layer.
    public init() { super.init(kind: "Sigmoid") }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try Ops.sigmoid(inputs[0])] }
}

/// tanh(x), elementwise.
public final class Tanh: Module {
    /// A tanh layer.
    public init() { super.init(kind: "Tanh") }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try Ops.tanh(inputs[0])] }
}

/// max(x, 0), elementwise.
public final class ReLU: Module {
    /// A ReLU layer.
    public init() { super.init(kind: "ReLU") }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try Ops.relu(inputs[0])] }
}

/// x for x > 0, alpha·x otherwise.
public final class LeakyReLU: Module {
    /// The slope for negative inputs.
    public let alpha: Double

    /// A leaky ReLU layer with negative slope `alpha` (PyDyNet's default 0.1).
    public init(alpha: Double = 0.1) {
        self.alpha = alpha
        super.init(kind: "LeakyReLU")
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try Ops.leakyRelu(inputs[0], slope: alpha)] }

    /// `alpha=0.1` (Swift prints a Double as Python's repr does: `1.0`, `1e-05`, `inf`).
    override var settings: String { "alpha=\(alpha)" }
}

/// Softmax along an axis, or over every element (`axis` nil, PyDyNet's default).
public final class Softmax: Module {
    /// The axis, or nil for every element.
    public let axis: Int?

    /// A softmax layer over `axis`.
    public init(axis: Int? = nil) {
        self.axis = axis
        super.init(kind: "Softmax")
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try Ops.softmax(inputs[0], axis: axis)] }

    /// `axis=None` or `axis=1`.
    override var settings: String { "axis=\(axis.map(String.init) ?? "None")" }
}

/// An elementwise activation with its settings fixed (PyTorch's `nn.GELU`, `nn.ELU`,
/// `nn.Softplus`, ...), made by the factories below, which name it as PyTorch does.
public final class ElementwiseActivation: Module {
    private let function: (Tensor) throws -> Tensor
    private let settingsText: String

    private init(_ kind: String, settings: String = "", _ function: @escaping (Tensor) throws -> Tensor) {
        (self.function, settingsText) = (function, settings)
        super.init(kind: kind)
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try function(inputs[0])] }

    /// The settings as PyTorch's repr shows them (`alpha=1.0`).
    override var settings: String { settingsText }

    /// `GELU(approximate='none')`, or `'tanh'` for the tanh approximation.
    public static func gelu(approximateTanh: Bool = false) -> ElementwiseActivation {
        ElementwiseActivation("GELU", settings: "approximate='\(approximateTanh ? "tanh" : "none")'") {
            try Ops.gelu($0, approximateTanh: approximateTanh)
        }
    }

    /// `ELU(alpha=1.0)`.
    public static func elu(alpha: Double = 1) -> ElementwiseActivation {
        ElementwiseActivation("ELU", settings: "alpha=\(alpha)") { try Ops.elu($0, alpha: alpha) }
    }

    /// `SELU()`.
    public static func selu() -> ElementwiseActivation { ElementwiseActivation("SELU", Ops.selu) }

    /// `CELU(alpha=1.0)`; alpha must not be 0.
    public static func celu(alpha: Double = 1) throws -> ElementwiseActivation {
        try Ops.checkCelu(alpha: alpha)
        return ElementwiseActivation("CELU", settings: "alpha=\(alpha)") { try Ops.celu($0, alpha: alpha) }
    }

    /// `Softplus(beta=1.0, threshold=20.0)`; beta must not be 0.
    public static func softplus(beta: Double = 1, threshold: Double = 20) throws -> ElementwiseActivation {
        try Ops.checkSoftplus(beta: beta)
        return ElementwiseActivation("Softplus", settings: "beta=\(beta), threshold=\(threshold)") {
            try Ops.softplus($0, beta: beta, threshold: threshold)
        }
    }

    /// `Mish()`.
    public static func mish() -> ElementwiseActivation { ElementwiseActivation("Mish", Ops.mish) }

    /// `Hardtanh(min_val=-1.0, max_val=1.0)`; min_val must not exceed max_val.
    public static func hardtanh(min: Double = -1, max: Double = 1) throws -> ElementwiseActivation {
        try Ops.checkHardtanh(min: min, max: max)
        return ElementwiseActivation("Hardtanh", settings: "min_val=\(min), max_val=\(max)") {
            try Ops.hardtanh($0, min: min, max: max)
        }
    }

    /// `ReLU6()`.
    public static func relu6() -> ElementwiseActivation { ElementwiseActivation("ReLU6", Ops.relu6) }

    /// `Hardsigmoid()`.
    public static func hardsigmoid() -> ElementwiseActivation { ElementwiseActivation("Hardsigmoid", Ops.hardsigmoid) }

    /// `Hardswish()`.
    public static func hardswish() -> ElementwiseActivation { ElementwiseActivation("Hardswish", Ops.hardswish) }

    /// `LogSigmoid()`.
    public static func logsigmoid() -> ElementwiseActivation { ElementwiseActivation("LogSigmoid", Ops.logsigmoid) }

    /// `SiLU()`.
    public static func silu() -> ElementwiseActivation { ElementwiseActivation("SiLU", Ops.silu) }
}
