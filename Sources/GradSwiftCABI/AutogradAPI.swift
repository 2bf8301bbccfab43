import CHandles
import GradSwift

/// Back-propagates from a one-element tensor into the `.grad` of every leaf requiring grad.
/// The graph is freed unless `retain_graph`; a second backward then fails
/// with GS_ERR_INVALID_STATE. A backward that fails adds nothing to any `.grad`.
@c(gs_backward)
public func gsBackward(_ tensor: gs_tensor, _ retainGraph: Bool) -> Int32 {
    guarded { try GradSwiftCABI.tensor(tensor, "gs_backward").backward(retainGraph: retainGraph) }
}

/// Turns anomaly detection on or off for the whole process (off at load). While on, an op that
/// records a graph node and whose result holds NaN or infinity, and a backward that computes
/// such a gradient, fail with GS_ERR_INVALID_STATE and a message naming the op (and, in
/// backward, the input). A backward that fails this way leaves the graph and every `.grad`
/// as they were.
@c(gs_set_detect_anomaly)
public func gsSetDetectAnomaly(_ enabled: Bool) -> Int32 {
    AnomalyMode.isEnabled = enabled
    return gs_status.ok.rawValue
}

/// Writes whether anomaly detection is on.
@c(gs_is_anomaly_enabled)
public func gsIsAnomalyEnabled(_ enabled: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded {
        guard let enabled else { throw CallError.null("gs_is_anomaly_enabled", "enabled") }
        enabled.pointee = AnomalyMode.isEnabled
    }
}
