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

/// A loss of the pointwise family (`Ops.l1Loss` ... `Ops.klDiv`) with its settings, printed as
/// PyTorch prints it (`SmoothL1Loss()`).
public final class PointwiseLossLayer: Loss {
    private let loss: (Tensor, Tensor) throws -> Tensor

    private init(_ kind: String, _ reduction: Reduction, allowsBatchMean: Bool = false,
                 _ loss: @escaping (Tensor, Tensor) throws -> Tensor) throws {
        try reduction.check(kind, allowsBatchMean: allowsBatchMean)
        self.loss = loss
        super.init(kind: kind, reduction: reduction)
    }

    override public var description: String { "\(kind)()" }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] { [try loss(inputs[0], inputs[1])] }

    /// `L1Loss(reduction)`.
    public static func l1(reduction: Reduction = .mean) throws -> PointwiseLossLayer {
        try PointwiseLossLayer("L1Loss", reduction) { try Ops.l1Loss($0, $1, reduction: reduction) }
    }

    /// `SmoothL1Loss(reduction, beta)`; beta >= 0.
    public static func smoothL1(reduction: Reduction = .mean, beta: Double = 1) throws -> PointwiseLossLayer {
        try Ops.checkSmoothL1(beta: beta)
        return try PointwiseLossLayer("SmoothL1Loss", reduction) { try Ops.smoothL1Loss($0, $1, reduction: reduction, beta: beta) }
    }

    /// `HuberLoss(reduction, delta)`; delta > 0.
    public static func huber(reduction: Reduction = .mean, delta: Double = 1) throws -> PointwiseLossLayer {
        try Ops.checkHuber(delta: delta)
        return try PointwiseLossLayer("HuberLoss", reduction) { try Ops.huberLoss($0, $1, reduction: reduction, delta: delta) }
    }

    /// `BCELoss(weight, reduction)` on probabilities.
    public static func binaryCrossEntropy(weight: Tensor? = nil, reduction: Reduction = .mean) throws -> PointwiseLossLayer {
        try PointwiseLossLayer("BCELoss", reduction) {
            try Ops.binaryCrossEntropy($0, $1, weight: weight, reduction: reduction)
        }
    }

    /// `BCEWithLogitsLoss(weight, reduction, pos_weight)` on logits.
    public static func binaryCrossEntropyWithLogits(weight: Tensor? = nil, posWeight: Tensor? = nil,
                                                    reduction: Reduction = .mean) throws -> PointwiseLossLayer {
        try PointwiseLossLayer("BCEWithLogitsLoss", reduction) {
            try Ops.binaryCrossEntropyWithLogits($0, $1, weight: weight, posWeight: posWeight, reduction: reduction)
        }
    }

    /// `KLDivLoss(reduction, log_target)` on log-probabilities.
    public static func klDiv(reduction: Reduction = .mean, logTarget: Bool = false) throws -> PointwiseLossLayer {
        try PointwiseLossLayer("KLDivLoss", reduction, allowsBatchMean: true) {
            try Ops.klDiv($0, $1, reduction: reduction, logTarget: logTarget)
        }
    }
}
