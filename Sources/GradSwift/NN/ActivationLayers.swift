/// Activation layers (PyDyNet's `nn.Sigmoid` ... `nn.Softmax`): no parameters, one input.

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
