import CHandles
import GradSwift

/// Creates a tensor holding a copy of the `shape`-shaped, C-ordered elements at `data`
/// (`data` may be NULL only when there are no elements). The caller owns `*result`.
@c(gs_tensor_new)
public func gsTensorNew(_ data: UnsafeRawPointer?, _ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32,
                        _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingLeaf("gs_tensor_new", dtype, shape, ndim, requiresGrad, result) { type, dims in
        try Tensor.copying(data, dtype: type, shape: dims)
    }
}

/// Creates a tensor filled with `value` (zeros, ones, empty). The caller owns `*result`.
@c(gs_tensor_full)
public func gsTensorFull(_ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ value: Double,
                         _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingLeaf("gs_tensor_full", dtype, shape, ndim, requiresGrad, result) { type, dims in
        try Tensor.full(value, dtype: type, shape: dims)
    }
}

/// Creates a float tensor of uniform samples in [low, high) from the engine generator.
@c(gs_tensor_uniform)
public func gsTensorUniform(_ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ low: Double, _ high: Double,
                            _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingLeaf("gs_tensor_uniform", dtype, shape, ndim, requiresGrad, result) { type, dims in
        try Tensor.uniform(low: low, high: high, dtype: type, shape: dims)
    }
}

/// Creates a float tensor of normal samples (mean, std) from the engine generator.
@c(gs_tensor_normal)
public func gsTensorNormal(_ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ mean: Double, _ std: Double,
                           _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingLeaf("gs_tensor_normal", dtype, shape, ndim, requiresGrad, result) { type, dims in
        try Tensor.normal(mean: mean, std: std, dtype: type, shape: dims)
    }
}

/// Creates a tensor over memory lent by the caller, without copying (DLPack's exchange): the
/// `shape`-shaped, C-ordered elements of `dtype` at `data`, aligned to the element size (bools
/// must be bytes 0 or 1), read and written in place. `release(user_data)` is called once, from any thread, when no tensor uses
/// the memory any more; until then it must stay valid. When the call fails, `release` is not
/// called and the memory stays the caller's. The caller owns `*result`.
@c(gs_tensor_from_external)
public func gsTensorFromExternal(_ data: UnsafeMutableRawPointer?, _ dtype: Int32, _ shape: UnsafePointer<Int64>?,
                                 _ ndim: Int32, _ userData: UnsafeMutableRawPointer?, _ release: gs_release_fn?,
                                 _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_tensor_from_external"
    return producing(op, result) {
        let type = try GradSwiftCABI.dtype(dtype, op)
        let dims = try readInts(shape, ndim, op, "shape")
        guard let release else { throw CallError.null(op, "release") }
        let owner = LentMemory(userData, release)
        return try Tensor.lent(data, dtype: type, shape: dims) { owner.giveBack() }
    }
}

/// The caller's memory and the function that gives it back.
private final class LentMemory: @unchecked Sendable {
    private let userData: UnsafeMutableRawPointer?
    private let release: gs_release_fn

    init(_ userData: UnsafeMutableRawPointer?, _ release: @escaping gs_release_fn) {
        self.userData = userData
        self.release = release
    }

    func giveBack() { release(userData) }
}

/// Creates the 1-D tensor `start, start + step, ...` short of `end` (torch.arange; int64 or float).
@c(gs_tensor_arange)
public func gsTensorArange(_ dtype: Int32, _ start: Double, _ end: Double, _ step: Double,
                           _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_arange", result) {
        try leaf(try Tensor.arange(start: start, end: end, step: step, dtype: try GradSwiftCABI.dtype(dtype, "gs_tensor_arange")), requiresGrad)
    }
}

/// Creates the 1-D tensor of `steps` evenly spaced values from `start` to `end` inclusive (torch.linspace).
@c(gs_tensor_linspace)
public func gsTensorLinspace(_ dtype: Int32, _ start: Double, _ end: Double, _ steps: Int64,
                             _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_linspace", result) {
        try leaf(try Tensor.linspace(start: start, end: end, steps: Int(steps), dtype: try GradSwiftCABI.dtype(dtype, "gs_tensor_linspace")), requiresGrad)
    }
}

/// Creates the `rows` x `columns` identity-like matrix: ones on the main diagonal (torch.eye).
@c(gs_tensor_eye)
public func gsTensorEye(_ dtype: Int32, _ rows: Int64, _ columns: Int64,
                        _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_eye", result) {
        try leaf(try Tensor.eye(rows: Int(rows), columns: Int(columns), dtype: try GradSwiftCABI.dtype(dtype, "gs_tensor_eye")), requiresGrad)
    }
}

/// Creates a tensor of integers drawn uniformly from [low, high) by the engine generator
/// (torch.randint), stored as `dtype` (any but bool; the bounds must fit it).
@c(gs_tensor_randint)
public func gsTensorRandint(_ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32, _ low: Int64, _ high: Int64,
                            _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producingLeaf("gs_tensor_randint", dtype, shape, ndim, false, result) { type, dims in
        try Tensor.randint(low: low, high: high, dtype: type, shape: dims)
    }
}

/// Creates a random permutation of 0..<n from the engine generator (torch.randperm).
@c(gs_tensor_randperm)
public func gsTensorRandperm(_ dtype: Int32, _ n: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_randperm", result) {
        try Tensor.randperm(Int(n), dtype: try GradSwiftCABI.dtype(dtype, "gs_tensor_randperm"))
    }
}

/// Releases a tensor handle. Releasing twice is an error (reported, not a crash).
@c(gs_tensor_release)
public func gsTensorRelease(_ tensor: gs_tensor) -> Int32 {
    guarded("gs_tensor_release") {
        try Handles.shared.release(tensor, "gs_tensor_release", "tensor")
    }
}

/// Releases the `count` tensor handles at `handles` in one call (for bindings that release the
/// handles of dead objects in batches): all of them, or none when one is not a live tensor
/// handle (zero, dead, stale, forged, another kind) or appears twice.
@c(gs_tensor_release_many)
public func gsTensorReleaseMany(_ handles: UnsafePointer<gs_tensor>?, _ count: Int32) -> Int32 {
    guarded("gs_tensor_release_many") {
        let op = "gs_tensor_release_many"
        try Handles.shared.release(readHandles(handles, count, op, "handles"), op, "handles")
    }
}

/// Writes the dtype code and rank, and the first `capacity` dimensions into `shape`
/// (`shape` may be NULL when `capacity` is 0).
@c(gs_tensor_describe)
public func gsTensorDescribe(_ tensor: gs_tensor, _ dtype: UnsafeMutablePointer<Int32>?, _ ndim: UnsafeMutablePointer<Int32>?,
                             _ shape: UnsafeMutablePointer<Int64>?, _ capacity: Int32) -> Int32 {
    guarded("gs_tensor_describe") {
        let op = "gs_tensor_describe"
        let t = try GradSwiftCABI.tensor(tensor, op)
        guard let dtype, let ndim else { throw CallError.null(op, "dtype or ndim") }
        guard capacity >= 0 else { throw CallError.invalid("\(op): capacity \(capacity) is negative") }
        let written = min(Int(capacity), t.rank)
        if written > 0 {
            guard let shape else { throw CallError.null(op, "shape") }
            for i in 0..<written { shape[i] = Int64(t.shape[i]) }
        }
        dtype.pointee = t.dtype.rawValue
        ndim.pointee = Int32(t.rank)
    }
}

/// Copies the elements (C order) into `destination`, which must hold exactly `nbytes` bytes
/// (element count times item size).
@c(gs_tensor_copy_data)
public func gsTensorCopyData(_ tensor: gs_tensor, _ destination: UnsafeMutableRawPointer?, _ nbytes: Int64) -> Int32 {
    guarded("gs_tensor_copy_data") {
        let op = "gs_tensor_copy_data"
        let t = try GradSwiftCABI.tensor(tensor, op)
        guard nbytes == Int64(t.byteCount) else {
            throw CallError.invalid("\(op): nbytes is \(nbytes) but the tensor holds \(t.byteCount) bytes")
        }
        guard t.byteCount > 0 else { return }
        guard let destination else { throw CallError.null(op, "destination") }
        destination.copyMemory(from: t.storage.bytes, byteCount: t.byteCount)
    }
}

/// Writes a borrowed pointer to the tensor's elements (C order, writable). Valid while the
/// handle is alive and until gs_tensor_set_data rebinds it.
@c(gs_tensor_data_ptr)
public func gsTensorDataPtr(_ tensor: gs_tensor, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("gs_tensor_data_ptr") {
        let op = "gs_tensor_data_ptr"
        let t = try GradSwiftCABI.tensor(tensor, op)
        guard let data else { throw CallError.null(op, "data") }
        data.pointee = t.storage.bytes
    }
}

/// Rebinds the tensor to a copy of new data, possibly of another dtype and shape, in fresh
/// memory (handles that shared the old memory keep it; the gradient is dropped when shape or
/// dtype change).
@c(gs_tensor_set_data)
public func gsTensorSetData(_ tensor: gs_tensor, _ data: UnsafeRawPointer?, _ dtype: Int32,
                            _ shape: UnsafePointer<Int64>?, _ ndim: Int32) -> Int32 {
    guarded("gs_tensor_set_data") {
        let op = "gs_tensor_set_data"
        let t = try GradSwiftCABI.tensor(tensor, op)
        try t.replaceData(with: data, dtype: try GradSwiftCABI.dtype(dtype, op), shape: try readInts(shape, ndim, op, "shape"))
    }
}

/// Writes whether gradients are tracked for the tensor.
@c(gs_tensor_requires_grad)
public func gsTensorRequiresGrad(_ tensor: gs_tensor, _ requiresGrad: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_tensor_requires_grad") {
        let t = try GradSwiftCABI.tensor(tensor, "gs_tensor_requires_grad")
        guard let requiresGrad else { throw CallError.null("gs_tensor_requires_grad", "requires_grad") }
        requiresGrad.pointee = t.requiresGrad
    }
}

/// Turns gradient tracking on or off for a leaf tensor (floating dtypes only).
@c(gs_tensor_set_requires_grad)
public func gsTensorSetRequiresGrad(_ tensor: gs_tensor, _ requiresGrad: Bool) -> Int32 {
    guarded("gs_tensor_set_requires_grad") { try GradSwiftCABI.tensor(tensor, "gs_tensor_set_requires_grad").setRequiresGrad(requiresGrad) }
}

/// Writes whether the tensor is a leaf: it does not require grad, or was not made by a
/// recorded op.
@c(gs_tensor_is_leaf)
public func gsTensorIsLeaf(_ tensor: gs_tensor, _ isLeaf: UnsafeMutablePointer<Bool>?) -> Int32 {
    guarded("gs_tensor_is_leaf") {
        let t = try GradSwiftCABI.tensor(tensor, "gs_tensor_is_leaf")
        guard let isLeaf else { throw CallError.null("gs_tensor_is_leaf", "is_leaf") }
        isLeaf.pointee = !t.requiresGrad || t.isLeaf
    }
}

/// Writes a new handle to the tensor's gradient buffer (shared, so writes through it change
/// the gradient), or 0 when it has none. A leaf requiring grad gets a zero-filled buffer on
/// first call.
@c(gs_tensor_grad)
public func gsTensorGrad(_ tensor: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    guarded("gs_tensor_grad") {
        let t = try GradSwiftCABI.tensor(tensor, "gs_tensor_grad")
        guard let result else { throw CallError.null("gs_tensor_grad", "result") }
        result.pointee = try t.gradBuffer().map { Handles.shared.insert($0) } ?? gs_tensor(id: 0)
    }
}

/// Sets the tensor's accumulated gradient to zero (in place).
@c(gs_tensor_zero_grad)
public func gsTensorZeroGrad(_ tensor: gs_tensor) -> Int32 {
    guarded("gs_tensor_zero_grad") { try GradSwiftCABI.tensor(tensor, "gs_tensor_zero_grad").zeroGrad() }
}

/// Writes a new handle to a tensor sharing this one's memory but outside any graph.
@c(gs_tensor_detach)
public func gsTensorDetach(_ tensor: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_detach", result) { try GradSwiftCABI.tensor(tensor, "gs_tensor_detach").detached() }
}

/// A copy converted to `dtype` (differentiable between float types).
@c(gs_tensor_astype)
public func gsTensorAstype(_ tensor: gs_tensor, _ dtype: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_tensor_astype", result) {
        try Ops.cast(try GradSwiftCABI.tensor(tensor, "gs_tensor_astype"), to: try GradSwiftCABI.dtype(dtype, "gs_tensor_astype"), copy: true)
    }
}

/// Decodes a creation call's dtype code and shape, makes the leaf with `make`, sets its
/// requires_grad and stores it as a new handle in `result`.
private func producingLeaf(_ op: String, _ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32,
                          _ requiresGrad: Bool, _ result: UnsafeMutablePointer<gs_tensor>?,
                          _ make: (DType, [Int]) throws -> Tensor) -> Int32 {
    producing(op, result) {
        try leaf(try make(try GradSwiftCABI.dtype(dtype, op), try readInts(shape, ndim, op, "shape")), requiresGrad)
    }
}

/// `t` as a leaf that requires grad when asked (floating types only).
private func leaf(_ t: Tensor, _ requiresGrad: Bool) throws -> Tensor {
    try t.setRequiresGrad(requiresGrad)
    return t
}
