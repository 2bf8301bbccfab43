/// Differentiable functions whose forward and backward are written by the user
/// (`torch.autograd.Function`): the forward runs outside the graph, and one node records a
/// backward supplied as a closure (from Python or C through the ABI).
public enum CustomFunction {
    /// The user's backward: given the gradient of every output (zeros for an output no
    /// gradient reached), the gradient of every input, nil where there is none.
    public typealias Backward = (_ gradOutputs: [Tensor]) throws -> [Tensor?]

    /// Makes `outputs`, computed by user code from `inputs` outside the graph, differentiable:
    /// returns tensors sharing their memory that record one node named `name` whose rule is
    /// `backward` (when grad mode is on and some input requires grad; otherwise they are plain
    /// tensors). Only float outputs take part in the graph.
    ///
    /// The rule checks what `backward` returns: one entry per input, each of that input's
    /// shape (its dtype is converted). With the backward being recorded (`createGraph`), the
    /// gradients it computes with engine ops are differentiable again.
    public static func apply(name: String, inputs: [Tensor], outputs: [Tensor],
                             backward: @escaping Backward) throws -> [Tensor] {
        guard !outputs.isEmpty else {
            throw EngineError.invalidArgument("\(name): a custom function must return at least one tensor")
        }
        let results = outputs.map { $0.detached() }
        let layouts = results.map { ($0.shape, $0.dtype) }
        let inputShapes = inputs.map(\.shape)
        try Tensor.recording(results, name, inputs) { gradients, _ in
            let gradOutputs = try zip(gradients, layouts).map { g, layout in
                try g ?? Tensor(shape: layout.0, dtype: layout.1, zeroed: true, op: name)
            }
            let gradInputs = try backward(gradOutputs)
            guard gradInputs.count == inputShapes.count else {
                throw EngineError.invalidArgument("\(name): backward returned \(gradInputs.count) gradients for \(inputShapes.count) inputs")
            }
            for (k, g) in gradInputs.enumerated() {
                guard let g else { continue }
                guard g.shape == inputShapes[k] else {
                    throw EngineError.shapeMismatch("\(name): backward returned a gradient of shape \(describe(g.shape)) for input \(k) of shape \(describe(inputShapes[k]))")
                }
                guard g.dtype.isFloatingPoint else {
                    throw EngineError.dtype("\(name): backward returned a \(g.dtype.name) gradient for input \(k); gradients are floating point")
                }
            }
            return gradInputs
        }
        return results
    }
}
