import CHandles
import GradSwift

// Functions common to every module handle. The constructors of the layers are in the API
// file of their op family (gs_linear_new in LinearAPI.swift...).

/// Looks up a module handle.
func module(_ handle: gs_module, _ op: String, _ name: String = "module") throws -> Module {
    try Handles.shared.lookup(handle, op, name)
}

/// Reads a NUL-terminated UTF-8 argument.
func readString(_ pointer: UnsafePointer<CChar>?, _ op: String, _ name: String) throws -> String {
    guard let pointer else { throw CallError.null(op, name) }
    return String(cString: pointer)
}

/// snprintf-style output: copies at most `capacity - 1` bytes of `text` and a NUL into `buffer`
/// (which may be NULL when `capacity` is 0) and stores the full length in `length`.
func writeString(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
                 _ length: UnsafeMutablePointer<Int64>?, _ op: String) throws {
    guard let length else { throw CallError.null(op, "length") }
    guard capacity >= 0 else { throw CallError.invalid("\(op): capacity \(capacity) is negative") }
    let bytes = Array(text.utf8)
    if capacity > 0 {
        guard let buffer else { throw CallError.null(op, "buffer") }
        let n = min(bytes.count, Int(capacity) - 1)
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: n)
        }
        buffer[n] = 0
    }
    length.pointee = Int64(bytes.count)
}

/// Writes `names[index]` snprintf-style (see `writeString`); an index outside `names` is an
/// index error naming `what` ("parameters", "state buffers"...).
func writeName(_ names: [String], _ index: Int64, _ what: String, _ buffer: UnsafeMutablePointer<CChar>?,
               _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?, _ op: String) throws {
    guard index >= 0 && index < Int64(names.count) else {
        throw CallError(status: .indexError, message: "\(op): index \(index) is out of range for \(names.count) \(what)")
    }
    try writeString(names[Int(index)], buffer, capacity, length, op)
}

/// Reads `count` handles from `pointer` (checking the pointer and count).
func readHandles<H: Handle>(_ pointer: UnsafePointer<H>?, _ count: Int32, _ op: String, _ name: String) throws -> [H] {
    guard count >= 0 else { throw CallError.invalid("\(op): \(name) count \(count) is negative") }
    if count == 0 { return [] }
    guard let pointer else { throw CallError.null(op, name) }
    return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
}

/// Releases a module handle (the module lives on while other handles or modules use it).
@c(gs_module_release)
public func gsModuleRelease(_ module: gs_module) -> Int32 {
    guarded("gs_module_release") {
        try Handles.shared.release(module, "gs_module_release", "module")
    }
}

/// Runs the module on `ninputs` tensors; its outputs go to `outputs[0..<*noutputs]` (at most
/// `capacity`; 3 is always enough). The caller owns the output handles.
@c(gs_module_forward)
public func gsModuleForward(_ module: gs_module, _ inputs: UnsafePointer<gs_tensor>?, _ ninputs: Int32,
                            _ outputs: UnsafeMutablePointer<gs_tensor>?, _ capacity: Int32,
                            _ noutputs: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("gs_module_forward") {
        let op = "gs_module_forward"
        let m = try GradSwiftCABI.module(module, op)
        let tensors = try readHandles(inputs, ninputs, op, "inputs").map { try tensor($0, op, "input") }
        guard let outputs, let noutputs else { throw CallError.null(op, "outputs or noutputs") }
        let results = try m(tensors)
        guard results.count <= Int(capacity) else {
            throw CallError.invalid("\(op): \(m.kind) gives \(results.count) outputs, capacity is \(capacity)")
        }
        for (i, t) in results.enumerated() { outputs[i] = Handles.shared.insert(t) }
        noutputs.pointee = Int32(results.count)
    }
}

/// Sets training (`mode` true) or evaluation mode on the module and all its sub-modules.
@c(gs_module_train)
public func gsModuleTrain(_ module: gs_module, _ mode: Bool) -> Int32 {
    guarded("gs_module_train") { try GradSwiftCABI.module(module, "gs_module_train").setTraining(mode) }
}

/// Draws (or sets) the initial values of the module's parameters again, as its constructor
/// did (sub-modules included), from the engine generator.
@c(gs_module_reset_parameters)
public func gsModuleResetParameters(_ module: gs_module) -> Int32 {
    guarded("gs_module_reset_parameters") { try GradSwiftCABI.module(module, "gs_module_reset_parameters").resetParameters() }
}

/// Writes whether the module is in training mode.
@c(gs_module_is_training)
public func gsModuleIsTraining(_ module: gs_module, _ result: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_module_is_training") {
        let op = "gs_module_is_training"
        let m = try GradSwiftCABI.module(module, op)
        guard let result else { throw CallError.null(op, "result") }
        result.pointee = m.isTraining
    }
}

/// Writes the number of parameters of the module and its sub-modules (trainable or not).
@c(gs_module_parameter_count)
public func gsModuleParameterCount(_ module: gs_module, _ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_module_parameter_count") {
        let op = "gs_module_parameter_count"
        let m = try GradSwiftCABI.module(module, op)
        guard let count else { throw CallError.null(op, "count") }
        count.pointee = Int64(m.namedParameters().count)
    }
}

/// Copies the dotted name of parameter `index` (`"0.weight"`) into `buffer`, snprintf-style:
/// at most `capacity - 1` bytes and a NUL; `*length` gets the full length.
@c(gs_module_parameter_name)
public func gsModuleParameterName(_ module: gs_module, _ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
                                  _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_module_parameter_name") {
        let op = "gs_module_parameter_name"
        let names = try GradSwiftCABI.module(module, op).namedParameters().map(\.name)
        try writeName(names, index, "parameters", buffer, capacity, length, op)
    }
}

/// A new handle to the parameter called `name` (dotted path); it shares the module's storage,
/// so writing its data changes the module. The caller owns `*result`.
@c(gs_module_parameter)
public func gsModuleParameter(_ module: gs_module, _ name: UnsafePointer<CChar>?, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_module_parameter", result) {
        let op = "gs_module_parameter"
        let m = try GradSwiftCABI.module(module, op)
        let path = try readString(name, op, "name")
        guard let found = m.namedParameters().first(where: { $0.name == path }) else {
            throw CallError.invalid("\(op): \(m.kind) has no parameter '\(path)'")
        }
        return found.tensor
    }
}

/// Replaces parameter `name` with `tensor` (same shape and dtype, a leaf); the module keeps a
/// reference, the caller keeps its handle.
@c(gs_module_set_parameter)
public func gsModuleSetParameter(_ module: gs_module, _ name: UnsafePointer<CChar>?, _ tensor: gs_tensor) -> Int32 {
    guarded("gs_module_set_parameter") {
        let op = "gs_module_set_parameter"
        let m = try GradSwiftCABI.module(module, op)
        try m.setParameter(try readString(name, op, "name"), try GradSwiftCABI.tensor(tensor, op))
    }
}

/// Copies the module's description (PyDyNet's repr) into `buffer`, snprintf-style.
@c(gs_module_describe)
public func gsModuleDescribe(_ module: gs_module, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64,
                             _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_module_describe") {
        let op = "gs_module_describe"
        try writeString(try GradSwiftCABI.module(module, op).description, buffer, capacity, length, op)
    }
}

/// A module applying `modules[0]`, then `modules[1]`... to one input. It keeps references to
/// them; the caller still owns (and releases) the handles it passed. The caller owns `*result`.
@c(gs_sequential_new)
public func gsSequentialNew(_ modules: UnsafePointer<gs_module>?, _ count: Int32, _ result: UnsafeMutablePointer<gs_module>?) -> Int32 {
    guarded("gs_sequential_new") {
        let op = "gs_sequential_new"
        guard let result else { throw CallError.null(op, "result") }
        let children = try readHandles(modules, count, op, "modules").map { try module($0, op) }
        result.pointee = Handles.shared.insert(try Sequential(children))
    }
}
