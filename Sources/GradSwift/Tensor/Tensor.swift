#if canImport(Glibc)
import Glibc
#endif

/// A dense, row-major n-dimensional array that can take part in automatic differentiation.
///
/// A tensor always owns contiguous memory (possibly shared with reshaped views of it). Ops create
/// new tensors; when grad mode is on and an input requires grad, the result records a `Node`
/// holding its inputs and backward rule.
public final class Tensor {
    /// Dimensions, outermost first. Empty for a 0-d scalar.
    public private(set) var shape: [Int]
    /// Element type.
    public private(set) var dtype: DType
    /// The memory holding the elements.
    public private(set) var storage: Storage
    /// Number of elements.
    public private(set) var count: Int
    /// Whether gradients are computed for this tensor.
    public internal(set) var requiresGrad: Bool
    /// False once an op has recorded this tensor as its output; only leaves accumulate `.grad`.
    public internal(set) var isLeaf = true
    /// The op that produced this tensor; `nil` for leaves.
    public internal(set) var gradFn: Node?
    /// Which of `gradFn`'s outputs this tensor is.
    public internal(set) var outputIndex = 0
    /// Accumulated gradient of a leaf (or of a non-leaf that retains it), same shape and dtype.
    public internal(set) var grad: Tensor?
    /// Hooks on the gradient and whether a non-leaf retains it; nil when neither was asked for.
    var gradientObservers: GradientObservers?

    /// Wraps existing storage. `shape`'s element count must fit in `storage`.
    init(shape: [Int], dtype: DType, storage: Storage, count: Int) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.count = count
        self.requiresGrad = false
    }

    /// Allocates a tensor of the given shape and type (zero-filled when `zeroed`).
    public convenience init(shape: [Int], dtype: DType, zeroed: Bool = false, op: String = "tensor") throws {
        guard shape.count <= Shape.maxRank else {
            throw EngineError.invalidArgument("\(op): rank \(shape.count) exceeds the maximum of \(Shape.maxRank)")
        }
        let count = try Shape.count(shape, op: op)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw EngineError.outOfMemory("\(op): shape \(describe(shape)) is too large") }
        let storage = try Storage(byteCount: bytes, zeroed: zeroed, op: op)
        self.init(shape: shape, dtype: dtype, storage: storage, count: count)
    }

    /// A tensor sharing `storage` with a new shape of the same element count.
    func sharingStorage(shape newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, dtype: dtype, storage: storage, count: count)
    }

    deinit { releaseGraph() }

    /// Whether no other tensor shares this one's memory and the memory is the library's own
    /// (not lent by another library), so that only holders of this tensor can see it.
    var ownsItsMemoryAlone: Bool {
        !storage.isLent && isKnownUniquelyReferenced(&storage)
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Size in bytes of the elements.
    public var byteCount: Int { count * dtype.itemSize }

    /// Typed pointer to the first element. The caller must pick the Swift type matching `dtype`.
    @inline(__always)
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.bytes.assumingMemoryBound(to: T.self)
    }

    /// Turns gradient tracking on or off for a leaf tensor.
    public func setRequiresGrad(_ flag: Bool) throws {
        guard isLeaf else {
            throw EngineError.invalidArgument("requires_grad: can only be changed on leaf tensors (use detach() first)")
        }
        if flag && !dtype.isFloatingPoint {
            throw EngineError.dtype("requires_grad: only tensors of floating point dtype can require gradients (got \(dtype.name))")
        }
        requiresGrad = flag
    }

    /// The gradient buffer of a leaf that requires grad, created zero-filled on first use.
    public func gradBuffer() throws -> Tensor? {
        guard requiresGrad && isLeaf else { return grad }
        if grad == nil { grad = try Tensor(shape: shape, dtype: dtype, zeroed: true, op: "grad") }
        return grad
    }

    /// Sets the accumulated gradient to zero (keeps the buffer so views of it stay valid).
    public func zeroGrad() {
        if let grad { memset(grad.storage.bytes, 0, grad.byteCount) }
    }

    /// A tensor sharing this one's memory, outside any graph (`detach()` in PyTorch).
    public func detached() -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: storage, count: count)
    }

    /// Rebinds the tensor to fresh memory holding a copy of `bytes` of the given type and shape
    /// (like assigning `x.data` in PyDyNet: tensors that shared the old memory keep it).
    public func replaceData(with bytes: UnsafeRawPointer?, dtype newType: DType, shape newShape: [Int]) throws {
        let op = "set_data"
        if requiresGrad && !newType.isFloatingPoint {
            throw EngineError.dtype("\(op): a tensor that requires grad cannot hold \(newType.name) data")
        }
        let fresh = try Tensor.copying(bytes, dtype: newType, shape: newShape)
        storage = fresh.storage
        if newShape != shape || newType != dtype { grad = nil }
        shape = newShape
        dtype = newType
        count = fresh.count
    }
}
