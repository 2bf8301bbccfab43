import CHandles
import GradSwift

// Checkpoint files (`.npz`: a ZIP archive of `.npy` arrays, see docs/checkpoint-format.md),
// for modules and for any list of named tensors.

/// The tensors (and structure text) read by `gs_checkpoint_load`, behind a checkpoint handle.
final class LoadedCheckpoint {
    let entries: [(name: String, tensor: Tensor)]
    let structure: String?

    init(_ entries: [(name: String, tensor: Tensor)], structure: String?) {
        self.entries = entries
        self.structure = structure
    }
}

/// Looks up a checkpoint handle.
func checkpoint(_ handle: gs_checkpoint, _ op: String) throws -> LoadedCheckpoint {
    try Handles.shared.lookup(handle, op, "checkpoint")
}

/// Saves every parameter of the module (trainable or not) under its dotted name (`"0.weight"`)
/// to the file at `path` (UTF-8), atomically: a temporary file in the same directory is written,
/// synced and renamed over `path`, so a failed save leaves any previous file intact.
@c(gs_module_save)
public func gsModuleSave(_ module: gs_module, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("gs_module_save") {
        let op = "gs_module_save"
        let m = try GradSwiftCABI.module(module, op)
        try m.save(to: try readString(path, op, "path"))
    }
}

/// Copies the tensors of the checkpoint at `path` into the module's parameters of the same
/// names. Every parameter must be present with its shape and dtype and the file must hold no
/// other tensor; this is checked before anything is written, so a failed load changes nothing.
@c(gs_module_load)
public func gsModuleLoad(_ module: gs_module, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("gs_module_load") {
        let op = "gs_module_load"
        let m = try GradSwiftCABI.module(module, op)
        try m.load(from: try readString(path, op, "path"))
    }
}

/// Saves `count` tensors to the file at `path`, tensor `tensors[i]` under the name `names[i]`
/// (UTF-8, non-empty, unique, not starting with `__gradswift`), atomically as gs_module_save.
/// `names` and `tensors` may be NULL when `count` is 0. The caller keeps its handles.
@c(gs_checkpoint_save)
public func gsCheckpointSave(_ names: UnsafePointer<UnsafePointer<CChar>?>?, _ tensors: UnsafePointer<gs_tensor>?,
                             _ count: Int32, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("gs_checkpoint_save") { try saveCheckpoint("gs_checkpoint_save", names, tensors, count, structure: nil, path) }
}

/// As gs_checkpoint_save, also storing `structure` (NUL-terminated UTF-8, usually JSON: the
/// Python package's description of how the arrays nest in the saved object) as the member
/// `__gradswift_structure__.npy`, which gs_checkpoint_structure reads back.
@c(gs_checkpoint_save_structured)
public func gsCheckpointSaveStructured(_ names: UnsafePointer<UnsafePointer<CChar>?>?, _ tensors: UnsafePointer<gs_tensor>?,
                                       _ count: Int32, _ structure: UnsafePointer<CChar>?,
                                       _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("gs_checkpoint_save_structured") {
        let op = "gs_checkpoint_save_structured"
        try saveCheckpoint(op, names, tensors, count, structure: try readString(structure, op, "structure"), path)
    }
}

/// Checks the arguments of a checkpoint save and writes the file.
private func saveCheckpoint(_ op: String, _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ tensors: UnsafePointer<gs_tensor>?,
                            _ count: Int32, structure: String?, _ path: UnsafePointer<CChar>?) throws {
    let handles = try readHandles(tensors, count, op, "tensors")
    guard count == 0 || names != nil else { throw CallError.null(op, "names") }
    var entries: [(name: String, tensor: Tensor)] = []
    for (i, handle) in handles.enumerated() {
        let name = try readString(names![i], op, "names[\(i)]")
        entries.append((name, try tensor(handle, op, "tensors[\(i)]")))
    }
    try Checkpoint.save(entries, structure: structure, to: try readString(path, op, "path"))
}

/// Reads the checkpoint at `path` into a new checkpoint handle (`*checkpoint`, owned by the
/// caller, freed with gs_checkpoint_release). Fails with a message naming the file when it is
/// missing, not a checkpoint, truncated, corrupt (CRC-32 mismatch), of an unsupported dtype or
/// written by a newer format version.
@c(gs_checkpoint_load)
public func gsCheckpointLoad(_ path: UnsafePointer<CChar>?, _ checkpoint: UnsafeMutablePointer<gs_checkpoint>?) -> Int32 {
    guarded("gs_checkpoint_load") {
        let op = "gs_checkpoint_load"
        guard let checkpoint else { throw CallError.null(op, "checkpoint") }
        let loaded = try Checkpoint.loadWithStructure(from: try readString(path, op, "path"))
        checkpoint.pointee = Handles.shared.insert(LoadedCheckpoint(loaded.entries, structure: loaded.structure))
    }
}

/// Writes the number of tensors in the checkpoint.
@c(gs_checkpoint_count)
public func gsCheckpointCount(_ checkpoint: gs_checkpoint, _ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_checkpoint_count") {
        let op = "gs_checkpoint_count"
        let c = try GradSwiftCABI.checkpoint(checkpoint, op)
        guard let count else { throw CallError.null(op, "count") }
        count.pointee = Int64(c.entries.count)
    }
}

/// Copies the name of tensor `index` (in file order) into `buffer`, snprintf-style: at most
/// `capacity - 1` bytes and a NUL; `*length` gets the full length in bytes.
@c(gs_checkpoint_name)
public func gsCheckpointName(_ checkpoint: gs_checkpoint, _ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
                             _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_checkpoint_name") {
        let op = "gs_checkpoint_name"
        let names = try GradSwiftCABI.checkpoint(checkpoint, op).entries.map(\.name)
        try writeName(names, index, "tensors", buffer, capacity, length, op)
    }
}

/// A new handle (owned by the caller) to the tensor called `name`; it shares memory with the
/// checkpoint's copy and stays valid after gs_checkpoint_release.
@c(gs_checkpoint_tensor)
public func gsCheckpointTensor(_ checkpoint: gs_checkpoint, _ name: UnsafePointer<CChar>?,
                               _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_checkpoint_tensor", result) {
        let op = "gs_checkpoint_tensor"
        let c = try GradSwiftCABI.checkpoint(checkpoint, op)
        let key = try readString(name, op, "name")
        guard let found = c.entries.first(where: { $0.name == key }) else {
            throw CallError.invalid("\(op): the checkpoint has no tensor '\(key)'")
        }
        return found.tensor
    }
}

/// Copies the checkpoint's structure text (see gs_checkpoint_save_structured) into `buffer`,
/// snprintf-style: at most `capacity - 1` bytes and a NUL; `*length` gets the full length in
/// bytes, or -1 when the file has no structure member (nothing is written then).
@c(gs_checkpoint_structure)
public func gsCheckpointStructure(_ checkpoint: gs_checkpoint, _ buffer: UnsafeMutablePointer<CChar>?,
                                  _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_checkpoint_structure") {
        let op = "gs_checkpoint_structure"
        let c = try GradSwiftCABI.checkpoint(checkpoint, op)
        guard let text = c.structure else {
            guard let length else { throw CallError.null(op, "length") }
            guard capacity >= 0 else { throw CallError.invalid("\(op): capacity \(capacity) is negative") }
            length.pointee = -1
            return
        }
        try writeString(text, buffer, capacity, length, op)
    }
}

/// Releases a checkpoint handle (tensor handles taken from it stay valid).
@c(gs_checkpoint_release)
public func gsCheckpointRelease(_ checkpoint: gs_checkpoint) -> Int32 {
    guarded("gs_checkpoint_release") {
        let op = "gs_checkpoint_release"
        try Handles.shared.release(checkpoint, op, "checkpoint")
    }
}
