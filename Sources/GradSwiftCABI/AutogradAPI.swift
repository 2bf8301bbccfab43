import CHandles
import GradSwift

/// Back-propagates from a one-element tensor into the `.grad` of every leaf requiring grad.
/// The graph is freed unless `retain_graph`; a second backward then fails
/// with GS_ERR_INVALID_STATE. A backward that fails adds nothing to any `.grad`.
@c(gs_backward)
public func gsBackward(_ tensor: gs_tensor, _ retainGraph: Bool) -> Int32 {
    guarded("gs_backward") { try GradSwiftCABI.tensor(tensor, "gs_backward").backward(retainGraph: retainGraph) }
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
    guarded("gs_is_anomaly_enabled") {
        guard let enabled else { throw CallError.null("gs_is_anomaly_enabled", "enabled") }
        enabled.pointee = AnomalyMode.isEnabled
    }
}

/// Back-propagates from `tensor` as torch.Tensor.backward: `gradient` (id 0: none, allowed only
/// for a one-element tensor) is the gradient of `tensor`'s shape to start from; the graph is
/// kept when `retain_graph`; with `create_graph` the backward is recorded, so the gradients
/// hooks see can be differentiated again (.grad receives values only: a recorded .grad would
/// hold a graph holding the tensor, a cycle never freed; use gs_grad for gradients to
/// differentiate). A backward that fails adds nothing to any .grad.
@c(gs_backward_with)
public func gsBackwardWith(_ tensor: gs_tensor, _ gradient: gs_tensor, _ retainGraph: Bool, _ createGraph: Bool) -> Int32 {
    guarded("gs_backward_with") {
        let op = "gs_backward_with"
        try GradSwiftCABI.tensor(tensor, op).backward(gradient: try optionalTensor(gradient, op, "gradient"),
                                                      retainGraph: retainGraph, createGraph: createGraph)
    }
}

/// The gradients of `output_count` outputs with respect to `input_count` inputs
/// (torch.autograd.grad), written as new handles into `results` (one per input; id 0 for an
/// input the outputs do not use, which is an error unless `allow_unused`). `grad_outputs`
/// (NULL, or one per output; id 0 where implied) are the outputs' gradients, implied as 1 only
/// for one-element outputs. No .grad changes. The graph is kept when `retain_graph`; with
/// `create_graph` the results can be differentiated again.
@c(gs_grad)
public func gsGrad(_ outputs: UnsafePointer<gs_tensor>?, _ outputCount: Int32, _ gradOutputs: UnsafePointer<gs_tensor>?,
                   _ inputs: UnsafePointer<gs_tensor>?, _ inputCount: Int32, _ retainGraph: Bool, _ createGraph: Bool,
                   _ allowUnused: Bool, _ results: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    guarded("gs_grad") {
        let op = "gs_grad"
        let ys = try readHandles(outputs, outputCount, op, "outputs").map { try tensor($0, op, "outputs") }
        let xs = try readHandles(inputs, inputCount, op, "inputs").map { try tensor($0, op, "inputs") }
        let seeds = try gradOutputs.map { pointer in
            try UnsafeBufferPointer(start: pointer, count: ys.count).map { try optionalTensor($0, op, "grad_outputs") }
        }
        guard let results else { throw CallError.null(op, "results") }
        let gradients = try Autograd.grad(of: ys, withRespectTo: xs, gradOutputs: seeds, retainGraph: retainGraph,
                                          createGraph: createGraph, allowUnused: allowUnused)
        for (k, g) in gradients.enumerated() { results[k] = g.map { Handles.shared.insert($0) } ?? gs_tensor(id: 0) }
    }
}

/// Writes a second handle to the same tensor (same memory, graph and gradient); each handle
/// is released on its own.
@c(gs_tensor_share)
public func gsTensorShare(_ tensor: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_share", result) { try GradSwiftCABI.tensor(tensor, "gs_tensor_share") }
}

/// Describes the op that made `tensor` (its grad_fn): `present` is false for a leaf. The op's
/// name is written into `name` (NUL-terminated, cut to `capacity` bytes; may be NULL when
/// `capacity` is 0), its number of inputs into `input_count` (0 once a backward has freed it)
/// and which of its outputs the tensor is into `output_index`.
@c(gs_tensor_grad_fn)
public func gsTensorGradFn(_ tensor: gs_tensor, _ present: UnsafeMutablePointer<Bool>?, _ name: UnsafeMutablePointer<CChar>?,
                           _ capacity: Int64, _ inputCount: UnsafeMutablePointer<Int32>?,
                           _ outputIndex: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_tensor_grad_fn") {
        let op = "gs_tensor_grad_fn"
        let t = try GradSwiftCABI.tensor(tensor, op)
        guard let present else { throw CallError.null(op, "present") }
        guard let inputCount else { throw CallError.null(op, "input_count") }
        guard let outputIndex else { throw CallError.null(op, "output_index") }
        guard capacity >= 0 else { throw CallError.invalid("\(op): capacity \(capacity) is negative") }
        if capacity > 0 && name == nil { throw CallError.null(op, "name") }
        let node = t.gradFn
        present.pointee = node != nil
        inputCount.pointee = Int32(node?.inputs.count ?? 0)
        outputIndex.pointee = Int32(node == nil ? 0 : t.outputIndex)
        if let name, capacity > 0 {
            let bytes = Array((node?.name ?? "").utf8.prefix(Int(capacity) - 1))
            for (k, byte) in bytes.enumerated() { name[k] = CChar(bitPattern: byte) }
            name[bytes.count] = 0
        }
    }
}

/// Writes a new handle to input `index` of the op that made `tensor` (see gs_tensor_grad_fn).
@c(gs_tensor_grad_fn_input)
public func gsTensorGradFnInput(_ tensor: gs_tensor, _ index: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_grad_fn_input", result) {
        let op = "gs_tensor_grad_fn_input"
        let inputs = try GradSwiftCABI.tensor(tensor, op).gradFn?.inputs ?? []
        guard index >= 0 && Int(index) < inputs.count else {
            throw CallError(status: .indexError, message: "\(op): index \(index) is out of range for a grad_fn of \(inputs.count) inputs")
        }
        return inputs[Int(index)]
    }
}

/// Makes the non-leaf `tensor` keep its gradient in .grad after each backward (a leaf keeps
/// it anyway).
@c(gs_tensor_retain_grad)
public func gsTensorRetainGrad(_ tensor: gs_tensor) -> Int32 {
    guarded("gs_tensor_retain_grad") { try GradSwiftCABI.tensor(tensor, "gs_tensor_retain_grad").retainGrad() }
}

/// Writes whether the non-leaf `tensor` keeps its gradient (gs_tensor_retain_grad).
@c(gs_tensor_retains_grad)
public func gsTensorRetainsGrad(_ tensor: gs_tensor, _ retains: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_tensor_retains_grad") {
        let t = try GradSwiftCABI.tensor(tensor, "gs_tensor_retains_grad")
        guard let retains else { throw CallError.null("gs_tensor_retains_grad", "retains") }
        retains.pointee = t.retainsGrad
    }
}

/// Registers `hook` (see gs_hook_fn) to see `tensor`'s gradient each time a backward computes
/// it, and writes its id into `hook_id`. `release` is called with `user_data` once the hook
/// is removed and the tensor and graphs that hold it are gone (or at once, if this call fails).
@c(gs_tensor_register_hook)
public func gsTensorRegisterHook(_ tensor: gs_tensor, _ hook: gs_hook_fn?, _ userData: UnsafeMutableRawPointer?,
                                 _ release: gs_release_fn?, _ hookId: UnsafeMutablePointer<Int64>?) -> Int32 {
    let context = CallbackContext(userData, release)
    return guarded("gs_tensor_register_hook") {
        let op = "gs_tensor_register_hook"
        let t = try GradSwiftCABI.tensor(tensor, op)
        guard let hook else { throw CallError.null(op, "hook") }
        guard let hookId else { throw CallError.null(op, "hook_id") }
        hookId.pointee = Int64(try t.registerHook { gradient in
            try context.call("hook", outputs: [gradient], inputCount: 1) { borrowed, results in
                hook(context.userData, borrowed[0], results)
            }[0]
        })
    }
}

/// Removes the hook registered under `hook_id` on `tensor`; `removed` (may be NULL) tells
/// whether there was one.
@c(gs_tensor_remove_hook)
public func gsTensorRemoveHook(_ tensor: gs_tensor, _ hookId: Int64, _ removed: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_tensor_remove_hook") {
        let found = try GradSwiftCABI.tensor(tensor, "gs_tensor_remove_hook").removeHook(Int(hookId))
        removed?.pointee = found
    }
}

/// Makes `outputs`, which the caller computed from `inputs` outside the graph, the outputs of
/// one differentiable op named `name` (torch.autograd.Function): writes one new handle per
/// output into `results`, tensors sharing the outputs' memory whose backward calls `backward`
/// (see gs_function_backward_fn) with `user_data`. Its gradients must match the inputs'
/// shapes. Without grad mode or an input requiring grad, the results are plain tensors.
/// `release` is called with `user_data` once the graph no longer needs it (or at once, if
/// this call fails or records nothing).
@c(gs_function_apply)
public func gsFunctionApply(_ name: UnsafePointer<CChar>?, _ inputs: UnsafePointer<gs_tensor>?, _ inputCount: Int32,
                            _ outputs: UnsafePointer<gs_tensor>?, _ outputCount: Int32, _ backward: gs_function_backward_fn?,
                            _ userData: UnsafeMutableRawPointer?, _ release: gs_release_fn?,
                            _ results: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let context = CallbackContext(userData, release)
    return guarded("gs_function_apply") {
        let op = "gs_function_apply"
        guard let name else { throw CallError.null(op, "name") }
        guard let backward else { throw CallError.null(op, "backward") }
        guard let results else { throw CallError.null(op, "results") }
        let label = String(cString: name)
        let xs = try readHandles(inputs, inputCount, op, "inputs").map { try tensor($0, op, "inputs") }
        let ys = try readHandles(outputs, outputCount, op, "outputs").map { try tensor($0, op, "outputs") }
        let made = try CustomFunction.apply(name: label, inputs: xs, outputs: ys) { gradOutputs in
            try context.call(label, outputs: gradOutputs, inputCount: xs.count) { borrowed, written in
                backward(context.userData, borrowed, Int32(gradOutputs.count), written, Int32(xs.count))
            }
        }
        for (k, t) in made.enumerated() { results[k] = Handles.shared.insert(t) }
    }
}

/// A callback's user data, handed to its release function when the last closure calling the
/// callback is gone.
private final class CallbackContext {
    let userData: UnsafeMutableRawPointer?
    private let release: gs_release_fn?

    init(_ userData: UnsafeMutableRawPointer?, _ release: gs_release_fn?) {
        (self.userData, self.release) = (userData, release)
    }

    deinit { release?(userData) }

    /// Calls a callback with borrowed handles to `tensors` and room for `inputCount` result
    /// handles, then takes over the results it wrote (nil for id 0). A non-zero status, or a
    /// result that is not a live tensor handle, is an error naming `name`.
    func call(_ name: String, outputs tensors: [Tensor], inputCount: Int,
              _ callback: (UnsafePointer<gs_tensor>, UnsafeMutablePointer<gs_tensor>) -> Int32) throws -> [Tensor?] {
        let borrowed: [gs_tensor] = tensors.map { Handles.shared.insert($0) }
        var written = [gs_tensor](repeating: gs_tensor(id: 0), count: inputCount)
        let status = borrowed.withUnsafeBufferPointer { b in
            written.withUnsafeMutableBufferPointer { w in callback(b.baseAddress!, w.baseAddress!) }
        }
        let op = "\(name) callback"
        for handle in borrowed { try? Handles.shared.release(handle, op, "gradient") }
        var results: [Tensor?] = []
        var failure: Error? = status == 0 ? nil
            : CallError(status: .invalidState, message: "\(name): the callback failed with status \(status)")
        for handle in written {
            if handle.id == 0 { results.append(nil); continue }
            do {
                results.append(try tensor(handle, op, "result"))
                try Handles.shared.release(handle, op, "result")
            } catch {
                failure = failure ?? error
                results.append(nil)
            }
        }
        if let failure { throw failure }
        return results
    }
}
