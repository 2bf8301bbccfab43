/// Loss layers (PyDyNet's `nn.MSELoss`, `nn.NLLLoss`, `nn.CrossEntropyLoss`): forward takes
/// (prediction, target) and gives the loss reduced by `reduction`.
public class Loss: Module {
    /// How the per-element or per-sample losses are combined.
    public let reduction: Reduction

    init(kind: String, reduction: Reduction) {
        self.reduction = reduction
        super.init(kind: kind, arity: 2...2)
    }

    /// PyDyNet prints a loss with its generic module repr: the name and an empty body
    /// (`"MSELoss(\n\n)"`).
    override public var description: String { "\(kind)(\n\n)" }
}

/// Mean squared error, with broadcasting (`Ops.mseLoss`).
public final class MSELoss: Loss {
    /// An MSE loss reduced by `reduction`.
    public init(reduction: Reduction = .mean) { super.init(kind: "MSELoss", reduction: reduction) }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.mseLoss(inputs[0], inputs[1], reduction: reduction)]
    }
}

/// Negative log-likelihood of log-probabilities (`Ops.nllLoss`).
public final class NLLLoss: Loss {
    /// An NLL loss reduced by `reduction`.
    public init(reduction: Reduction = .mean) { super.init(kind: "NLLLoss", reduction: reduction) }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.nllLoss(inputs[0], inputs[1], reduction: reduction)]
    }
}

/// Cross-entropy of logits (`Ops.crossEntropy`).
public final class CrossEntropyLoss: Loss {
    /// A cross-entropy loss reduced by `reduction`.
    public init(reduction: Reduction = .mean) { super.init(kind: "CrossEntropyLoss", reduction: reduction) }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        [try Ops.crossEntropy(inputs[0], inputs[1], reduction: reduction)]
    }
}
