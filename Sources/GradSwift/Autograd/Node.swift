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
    /// Shape and dtype of the output and of each input when the op ran. Rules rely on them, so
    /// backward refuses a node whose tensors were since rebound to data of another shape or type.
    private let outputLayout: Layout
    private let inputLayouts: [Layout]

    /// A tensor's shape and dtype.
    struct Layout: Equatable {
        let shape: [Int]
        let dtype: DType
        /// The layout `t` has now.
        init(_ t: Tensor) { (shape, dtype) = (t.shape, t.dtype) }
    }

    /// A node for the op `name` that produced `output` from `inputs`.
    init(name: String, output: Tensor, inputs: [Tensor], rule: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
        self.outputLayout = Layout(output)
        self.inputLayouts = inputs.map(Layout.init)
    }

    /// Fails when the gradient or an input no longer has the layout the rule was recorded for.
    func checkLayouts(gradient: Tensor) throws {
        if Layout(gradient) != outputLayout {
            throw reassigned("its output", outputLayout)
        }
        if let i = inputs.indices.first(where: { Layout(inputs[$0]) != inputLayouts[$0] }) {
            throw reassigned("input \(i)", inputLayouts[i])
        }
    }

    private func reassigned(_ what: String, _ expected: Layout) -> EngineError {
        .invalidState("backward: \(what) of '\(name)' was reassigned to data of another shape or dtype after the op ran (expected \(describe(expected.shape)) \(expected.dtype.name))")
    }
}

extension Tensor {
    /// Attaches a backward rule to `self` when grad mode is on and some input requires grad,
    /// after checking `self` for NaN and infinity when anomaly detection is on.
    /// Returns `self`, so ops can end with `return try out.recording(...)`.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], _ rule: @escaping (Tensor) throws -> [Tensor?]) throws -> Tensor {
        if GradMode.isEnabled && dtype.isFloatingPoint && inputs.contains(where: { $0.requiresGrad }) {
            if AnomalyMode.isEnabled { try AnomalyMode.checkForward(self, op: name, inputs: inputs) }
            requiresGrad = true
            isLeaf = false
            gradFn = Node(name: name, output: self, inputs: inputs, rule: rule)
        }
        return self
    }
}
