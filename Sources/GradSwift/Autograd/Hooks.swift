import Synchronization

/// Functions that see a tensor's gradient during backward (`torch.Tensor.register_hook`), and
/// non-leaf tensors that keep their gradient (`retain_grad`).

/// A function called with a tensor's total gradient during a backward walk; it returns a
/// replacement of the same shape, or nil to leave the gradient as it is.
public typealias GradientHook = (_ gradient: Tensor) throws -> Tensor?

/// What watches one tensor's gradient: its hooks, in registration order, and whether it keeps
/// its gradient as a non-leaf. Held by the tensor only once one of them is asked for.
final class GradientObservers {
    /// The hooks with the ids they were registered under.
    var hooks: [(id: Int, hook: GradientHook)] = []
    /// True when the tensor (a non-leaf) keeps its gradient in `.grad`.
    var retainsGrad = false

    /// `gradient` after every hook of `tensor`, each checked to keep its shape.
    func run(_ gradient: Tensor, of tensor: Tensor) throws -> Tensor {
        var g = gradient
        for (_, hook) in hooks {
            guard let replacement = try hook(g) else { continue }
            guard replacement.shape == g.shape else {
                throw EngineError.shapeMismatch("hook: a hook returned a gradient of shape \(describe(replacement.shape)) for a tensor of shape \(describe(g.shape))")
            }
            g = try Ops.cast(replacement, to: tensor.dtype)
        }
        return g
    }
}

/// The last id given to a hook; ids are unique in the process.
private let lastHookID = Atomic<Int>(0)

extension Tensor {
    /// Registers `hook` to be called with this tensor's gradient each time a backward computes
    /// it, before the gradient goes on (for a leaf, before it is added to `.grad`). Returns an
    /// id for `removeHook`.
    public func registerHook(_ hook: @escaping GradientHook) throws -> Int {
        guard requiresGrad else {
            throw EngineError.invalidState("register_hook: cannot register a hook on a tensor that does not require gradient")
        }
        let id = lastHookID.add(1, ordering: .relaxed).newValue
        observers().hooks.append((id, hook))
        return id
    }

    /// Removes the hook registered under `id`; returns false when this tensor has none such.
    @discardableResult
    public func removeHook(_ id: Int) -> Bool {
        guard let observers = gradientObservers, let k = observers.hooks.firstIndex(where: { $0.id == id }) else { return false }
        observers.hooks.remove(at: k)
        if observers.hooks.isEmpty && !observers.retainsGrad { gradientObservers = nil }
        return true
    }

    /// Makes this non-leaf tensor keep its gradient in `.grad`, accumulated over backward
    /// calls as a leaf's; on a leaf, which keeps it anyway, this does nothing.
    public func retainGrad() throws {
        guard requiresGrad else {
            throw EngineError.invalidState("retain_grad: cannot retain the gradient of a tensor that does not require grad")
        }
        if !isLeaf { observers().retainsGrad = true }
    }

    /// True for a non-leaf tensor that keeps its gradient (`retainGrad`).
    public var retainsGrad: Bool { gradientObservers?.retainsGrad ?? false }

    /// This tensor's observers, created on first use.
    private func observers() -> GradientObservers {
        if let gradientObservers { return gradientObservers }
        let created = GradientObservers()
        gradientObservers = created
        return created
    }
}
