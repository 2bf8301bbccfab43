/// A recorded op in the dynamic graph: its inputs and the rule mapping the output's gradient
/// to one gradient per input (`nil` where an input needs none).
///
/// Rules return gradients in the *output's* broadcast shape when that is natural; `Backward`
/// reduces them to each input's shape and dtype in one place (`Tensor.reducedGradient`).
public final class Node {
    /// The op's name, for error messages.
    public let name: String
    /// The tensors the op read.
    public let inputs: [Tensor]
    /// Maps the output gradient to the input gradients (same order as `inputs`).
    let rule: (Tensor) throws -> [Tensor?]

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
    }
}

extension Tensor {
    /// Attaches a backward rule to `self` when grad mode is on and some input requires grad.
    /// Returns `self`, so ops can end with `return try out.recording(...)`.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], _ rule: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        if GradMode.isEnabled && dtype.isFloatingPoint && inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            isLeaf = false
            gradFn = Node(name: name, inputs: inputs, rule: rule)
        }
        return self
    }
}
