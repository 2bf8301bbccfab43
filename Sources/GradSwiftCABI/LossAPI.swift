import CHandles
import GradSwift

// Losses and the loss layers. Their forward takes (prediction, target); the target of
// NLL and cross-entropy is int64 class indices of shape (N,) or probabilities of the input's
// shape (N, C), and `mean` divides by N (PyTorch's semantics).

/// Reduction codes of the losses.
@c public enum gs_reduction: Int32 {
    /// The average (the default).
    case mean = 0
    /// The total.
    case sum = 1
    /// No reduction: one loss per element (MSE) or per sample (NLL, cross-entropy).
    case none = 2
    /// The total divided by the input's first dimension (gs_kl_div only).
    case batchmean = 3
}

/// (pred - target)^2 with broadcasting, reduced by `reduction` (a gs_reduction code); both
/// operands get gradients when they require them. The caller owns `*result`.
@c(gs_mse_loss)
public func gsMseLoss(_ pred: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_mse_loss", pred, target, reduction, result, Ops.mseLoss)
}

/// Negative log-likelihood of log-probabilities `pred` (N, C): -pred[i, target[i]] for int64
/// class indices, -sum_c target[i, c] * pred[i, c] for probabilities; reduced by `reduction`.
/// The caller owns `*result`.
@c(gs_nll_loss)
public func gsNllLoss(_ pred: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_nll_loss", pred, target, reduction, result, Ops.nllLoss)
}

/// Cross-entropy of logits `pred` (N, C) against class indices or probabilities (fused
/// log-sum-exp; equals gs_nll_loss of the log-softmax). Out-of-range indices give
/// GS_INDEX_ERROR. The caller owns `*result`.
@c(gs_cross_entropy)
public func gsCrossEntropy(_ pred: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_cross_entropy", pred, target, reduction, result, Ops.crossEntropy)
}

/// |input - target| with broadcasting, reduced by `reduction`. The caller owns `*result`.
@c(gs_l1_loss)
public func gsL1Loss(_ input: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_l1_loss", input, target, reduction, result, Ops.l1Loss)
}

/// Smooth L1: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target,
/// beta >= 0; 0 gives L1), reduced by `reduction`. The caller owns `*result`.
@c(gs_smooth_l1_loss)
public func gsSmoothL1Loss(_ input: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ beta: Double,
                           _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_smooth_l1_loss", input, target, reduction, result) { try Ops.smoothL1Loss($0, $1, reduction: $2, beta: beta) }
}

/// Huber: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (delta > 0), reduced by
/// `reduction`. The caller owns `*result`.
@c(gs_huber_loss)
public func gsHuberLoss(_ input: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ delta: Double,
                        _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_huber_loss", input, target, reduction, result) { try Ops.huberLoss($0, $1, reduction: $2, delta: delta) }
}

/// Binary cross-entropy of probabilities `input` (every element in [0, 1]) against `target` of
/// the same shape, each log bounded below by -100; `weight` (optional, a zero handle for none)
/// broadcasts against the terms. The caller owns `*result`.
@c(gs_binary_cross_entropy)
public func gsBinaryCrossEntropy(_ input: gs_tensor, _ target: gs_tensor, _ weight: gs_tensor, _ reduction: Int32,
                                 _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let name = "gs_binary_cross_entropy"
    return lossCall(name, input, target, reduction, result) {
        try Ops.binaryCrossEntropy($0, $1, weight: try optionalTensor(weight, name, "weight"), reduction: $2)
    }
}

/// Binary cross-entropy of logits `input` against `target` of the same shape, computed
/// without overflow; `weight` broadcasts against the terms and `pos_weight` against the last
/// dimension (both optional: zero handles). The caller owns `*result`.
@c(gs_binary_cross_entropy_with_logits)
public func gsBinaryCrossEntropyWithLogits(_ input: gs_tensor, _ target: gs_tensor, _ weight: gs_tensor, _ posWeight: gs_tensor,
                                           _ reduction: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let name = "gs_binary_cross_entropy_with_logits"
    return lossCall(name, input, target, reduction, result) {
        try Ops.binaryCrossEntropyWithLogits($0, $1, weight: try optionalTensor(weight, name, "weight"),
                                             posWeight: try optionalTensor(posWeight, name, "pos_weight"), reduction: $2)
    }
}

/// Kullback-Leibler divergence of log-probabilities `input` from `target` (probabilities, or
/// log-probabilities with `log_target`), terms where the target is 0 counting 0; reduced by
/// `reduction`, which may be GS_REDUCTION_BATCHMEAN here. The caller owns `*result`.
@c(gs_kl_div)
public func gsKlDiv(_ input: gs_tensor, _ target: gs_tensor, _ reduction: Int32, _ logTarget: Bool,
                    _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    lossCall("gs_kl_div", input, target, reduction, result, allowsBatchMean: true) {
        try Ops.klDiv($0, $1, reduction: $2, logTarget: logTarget)
    }
}

// MARK: Layers (forward takes two inputs: prediction, target)

/// An MSELoss layer reduced by `reduction` (gs_reduction). The caller owns `*result`.
@c(gs_mse_loss_new)
public func gsMseLossNew(_ reduction: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_mse_loss_new", result) { MSELoss(reduction: try decodeReduction(reduction, "gs_mse_loss_new")) }
}

/// An NLLLoss layer reduced by `reduction` (gs_reduction). The caller owns `*result`.
@c(gs_nll_loss_new)
public func gsNllLossNew(_ reduction: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_nll_loss_new", result) { NLLLoss(reduction: try decodeReduction(reduction, "gs_nll_loss_new")) }
}

/// A CrossEntropyLoss layer reduced by `reduction` (gs_reduction). The caller owns `*result`.
@c(gs_cross_entropy_loss_new)
public func gsCrossEntropyLossNew(_ reduction: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_cross_entropy_loss_new", result) {
        CrossEntropyLoss(reduction: try decodeReduction(reduction, "gs_cross_entropy_loss_new"))
    }
}

/// An L1Loss layer reduced by `reduction`. The caller owns `*result`.
@c(gs_l1_loss_new)
public func gsL1LossNew(_ reduction: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_l1_loss_new", result) { try PointwiseLossLayer.l1(reduction: try decodeReduction(reduction, "gs_l1_loss_new")) }
}

/// A SmoothL1Loss layer (beta >= 0). The caller owns `*result`.
@c(gs_smooth_l1_loss_new)
public func gsSmoothL1LossNew(_ reduction: Int32, _ beta: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_smooth_l1_loss_new", result) {
        try PointwiseLossLayer.smoothL1(reduction: try decodeReduction(reduction, "gs_smooth_l1_loss_new"), beta: beta)
    }
}

/// A HuberLoss layer (delta > 0). The caller owns `*result`.
@c(gs_huber_loss_new)
public func gsHuberLossNew(_ reduction: Int32, _ delta: Double, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_huber_loss_new", result) {
        try PointwiseLossLayer.huber(reduction: try decodeReduction(reduction, "gs_huber_loss_new"), delta: delta)
    }
}

/// A BCELoss layer with an optional `weight` (zero handle for none; the layer keeps it). The
/// caller owns `*result`.
@c(gs_bce_loss_new)
public func gsBceLossNew(_ weight: gs_tensor, _ reduction: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let name = "gs_bce_loss_new"
    return producing(name, result) {
        try PointwiseLossLayer.binaryCrossEntropy(weight: try optionalTensor(weight, name, "weight"),
                                                  reduction: try decodeReduction(reduction, name))
    }
}

/// A BCEWithLogitsLoss layer with optional `weight` and `pos_weight` (zero handles for none;
/// the layer keeps them). The caller owns `*result`.
@c(gs_bce_with_logits_loss_new)
public func gsBceWithLogitsLossNew(_ weight: gs_tensor, _ posWeight: gs_tensor, _ reduction: Int32,
                                   _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    let name = "gs_bce_with_logits_loss_new"
    return producing(name, result) {
        try PointwiseLossLayer.binaryCrossEntropyWithLogits(weight: try optionalTensor(weight, name, "weight"),
                                                            posWeight: try optionalTensor(posWeight, name, "pos_weight"),
                                                            reduction: try decodeReduction(reduction, name))
    }
}

/// A KLDivLoss layer (`reduction` may be GS_REDUCTION_BATCHMEAN). The caller owns `*result`.
@c(gs_kl_div_loss_new)
public func gsKlDivLossNew(_ reduction: Int32, _ logTarget: Bool, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    producing("gs_kl_div_loss_new", result) {
        try PointwiseLossLayer.klDiv(reduction: try decodeReduction(reduction, "gs_kl_div_loss_new", allowsBatchMean: true),
                                     logTarget: logTarget)
    }
}

// MARK: Helpers

/// Runs a loss on two tensor handles with a reduction code.
@inline(__always)
private func lossCall(_ name: String, _ pred: gs_tensor, _ target: gs_tensor, _ reduction: Int32,
                      _ result: UnsafeMutablePointer<gs_tensor>?, allowsBatchMean: Bool = false,
                      _ loss: (Tensor, Tensor, Reduction) throws -> Tensor) -> Int32 {
    producing(name, result) {
        let p = try tensor(pred, name, "pred"), t = try tensor(target, name, "target")
        return try loss(p, t, try decodeReduction(reduction, name, allowsBatchMean: allowsBatchMean))
    }
}

/// Validates a gs_reduction code (batchmean only where `allowsBatchMean`).
private func decodeReduction(_ code: Int32, _ op: String, allowsBatchMean: Bool = false) throws -> Reduction {
    guard let value = Reduction(rawValue: code), value != .batchMean || allowsBatchMean else {
        let codes = "0 mean, 1 sum, 2 none" + (allowsBatchMean ? ", 3 batchmean" : "")
        throw CallError.invalid("\(op): unknown reduction code \(code) (\(codes))")
    }
    return value
}
