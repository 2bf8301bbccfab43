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

// MARK: Helpers

/// Runs a loss on two tensor handles with a reduction code.
@inline(__always)
private func lossCall(_ name: String, _ pred: gs_tensor, _ target: gs_tensor, _ reduction: Int32,
                      _ result: UnsafeMutablePointer<gs_tensor>?,
                      _ loss: (Tensor, Tensor, Reduction) throws -> Tensor) -> Int32 {
    producing(name, result) {
        let p = try tensor(pred, name, "pred"), t = try tensor(target, name, "target")
        return try loss(p, t, try decodeReduction(reduction, name))
    }
}

/// Validates a gs_reduction code.
private func decodeReduction(_ code: Int32, _ op: String) throws -> Reduction {
    guard let value = Reduction(rawValue: code) else {
        throw CallError.invalid("\(op): unknown reduction code \(code) (0 mean, 1 sum, 2 none)")
    }
    return value
}
