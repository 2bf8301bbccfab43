import GradSwift

/// Back-propagates from a one-element tensor into the `.grad` of every leaf requiring grad.
/// The graph is freed unless `retain_graph`; a second backward then fails
/// with GS_ERR_INVALID_STATE.
@c(gs_backward)
public func gsBackward(_ tensor: UInt64, _ retainGraph: Bool) -> Int32 {
    guarded { try GradSwiftCABI.tensor(tensor, "gs_backward").backward(retainGraph: retainGraph) }
}
