/// A layer: named parameters (trainable or not), named sub-modules, a training flag and a
/// forward function. Built-in layers subclass it; `Sequential` chains them.
///
/// Parameters that do not require grad (BatchNorm's running statistics) are still parameters,
/// as in PyDyNet: they are saved in checkpoints but optimizers skip them.
public class Module {
    /// The layer's class name as Python shows it (`"Linear"`).
    public let kind: String
    /// The module's own parameters, in registration order.
    public private(set) var parameters: [(name: String, tensor: Tensor)] = []
    /// Sub-modules, in registration order.
    public private(set) var children: [(name: String, module: Module)] = []
    /// True in training mode (the default), false after `setTraining(false)`.
    public private(set) var isTraining = true
    /// How many tensors `forward` takes.
    public let arity: ClosedRange<Int>

    /// A module with no parameters yet; subclasses register theirs in their initialiser.
    public init(kind: String, arity: ClosedRange<Int> = 1...1) {
        self.kind = kind
        self.arity = arity
    }

    /// Adds a parameter under `name` (a leaf; `trainable` sets requires_grad).
    func register(_ name: String, _ tensor: Tensor, trainable: Bool = true) throws {
        try tensor.setRequiresGrad(trainable)
        parameters.append((name, tensor))
    }

    /// Adds a sub-module under `name`.
    func register(_ name: String, _ module: Module) {
        children.append((name, module))
    }

    /// The parameter called `name` on this module (not a sub-module's).
    func parameter(_ name: String) -> Tensor? {
        parameters.first { $0.name == name }?.tensor
    }

    /// Every parameter of this module and its sub-modules, named by dotted path
    /// (`"0.weight"`), depth first in registration order.
    public func namedParameters(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var all = parameters.map { (prefix + $0.name, $0.tensor) }
        for child in children {
            all += child.module.namedParameters(prefix: prefix + child.name + ".")
        }
        return all
    }

    /// Replaces the parameter at dotted path `path` with `tensor`, which must have the same
    /// shape and dtype; the new tensor keeps the old one's requires_grad.
    public func setParameter(_ path: String, _ tensor: Tensor) throws {
        let op = "set_parameter"
        if let dot = path.firstIndex(of: ".") {
            let head = String(path[..<dot])
            guard let child = children.first(where: { $0.name == head })?.module else {
                throw EngineError.invalidArgument("\(op): \(kind) has no sub-module '\(head)'")
            }
            return try child.setParameter(String(path[path.index(after: dot)...]), tensor)
        }
        guard let i = parameters.firstIndex(where: { $0.name == path }) else {
            throw EngineError.invalidArgument("\(op): \(kind) has no parameter '\(path)'")
        }
        let old = parameters[i].tensor
        guard tensor.shape == old.shape && tensor.dtype == old.dtype else {
            throw EngineError.shapeMismatch("\(op): '\(path)' of \(kind) is \(old.dtype.name) \(describe(old.shape)), got \(tensor.dtype.name) \(describe(tensor.shape))")
        }
        guard tensor.isLeaf else {
            throw EngineError.invalidArgument("\(op): '\(path)' must be a leaf tensor (detach it first)")
        }
        try tensor.setRequiresGrad(old.requiresGrad)
        parameters[i].tensor = tensor
    }

    /// Draws (or sets) the parameters' initial values again, as the constructor did. Layers with
    /// parameters override it; a container resets its sub-modules.
    public func resetParameters() throws {
        for child in children { try child.module.resetParameters() }
    }

    /// Switches this module and all its sub-modules to training (`true`) or evaluation mode.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for child in children { child.module.setTraining(on) }
    }

    /// Checks the input count, then runs the layer (a profiler scope named by `kind`).
    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] {
        guard arity.contains(inputs.count) else {
            let expected = arity.count == 1 ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
            throw EngineError.invalidArgument("\(kind): forward takes \(expected) input tensor(s), got \(inputs.count)")
        }
        return try Profiler.scope(kind) { try forward(inputs) }
    }

    /// The layer's computation; `inputs.count` is within `arity`. Subclasses override it.
    func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        throw EngineError.invalidState("\(kind): forward is not implemented")
    }

    /// The constructor arguments shown in `description` (`"in_features=4, ..."`).
    var settings: String { "" }

    /// PyDyNet-style text: `Linear(in_features=2, out_features=3, bias=True)` for a leaf layer,
    /// the sub-modules one per line for a container.
    public var description: String {
        if children.isEmpty { return "\(kind)(\(settings))" }
        let lines = children.map { child -> String in
            let name = String(repeating: " ", count: max(0, 10 - child.name.count)) + child.name
            return "\(name) : \(child.module.description)"
        }
        return "\(kind)(\n\(lines.joined(separator: "\n"))\n)"
    }
}

/// Modules applied one after the other, each to the previous one's output.
public final class Sequential: Module {
    /// Chains `modules`, named "0", "1", ...; each must take one input.
    public init(_ modules: [Module]) throws {
        super.init(kind: "Sequential")
        for (i, module) in modules.enumerated() {
            guard module.arity.contains(1) else {
                throw EngineError.invalidArgument("Sequential: module \(i) (\(module.kind)) does not take a single input")
            }
            register(String(i), module)
        }
    }

    override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        var x = inputs
        for child in children {
            x = try child.module([x[0]])
        }
        return x
    }
}
