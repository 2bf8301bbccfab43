/// Reverse-mode differentiation over the graph recorded by ops.
extension Tensor {
    /// Computes the gradient of this one-element tensor with respect to every leaf that requires
    /// grad, adding it to their `.grad`. Unless `retainGraph`, the graph is freed as it is walked,
    /// so a second call fails; with `retainGraph` a second call accumulates again.
    ///
    /// Leaves' `.grad` change only once the whole walk has succeeded, so a failed backward adds
    /// nothing. With anomaly detection on, each input gradient a node produces is checked for
    /// NaN and infinity, and the graph is freed only at the end: after an anomaly error the graph
    /// is whole and backward can run again (say with detection off, to look at the gradients).
    public func backward(retainGraph: Bool = false) throws {
        guard count == 1 else {
            throw EngineError.invalidArgument("backward: can only be called on a tensor with one element, got shape \(describe(shape))")
        }
        guard requiresGrad else {
            throw EngineError.invalidState("backward: tensor does not require grad and has no grad_fn")
        }
        guard isLeaf || gradFn != nil else {
            throw EngineError.invalidState("backward: the graph of this tensor has been freed by an earlier backward(); use retain_graph=True to backward twice")
        }
        try GradMode.with(enabled: false) {
            let detecting = AnomalyMode.isEnabled
            let order = topologicalOrder()
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): try Tensor.full(1, dtype: dtype, shape: shape)]
            var leafGradients: [(leaf: Tensor, gradient: Tensor)] = []
            var walked: [Tensor] = []  // nodes whose graph is freed at the end (anomaly detection)
            for node in order {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                if node.isLeaf {
                    leafGradients.append((node, gradient))
                    continue
                }
                guard let fn = node.gradFn else {
                    throw EngineError.invalidState("backward: part of the graph has been freed by an earlier backward(); use retain_graph=True to backward twice")
                }
                try fn.checkLayouts(gradient: gradient)
                let inputGrads = try fn.rule(gradient)
                for (index, (input, g)) in zip(fn.inputs, inputGrads).enumerated() where input.requiresGrad {
                    guard let g else { continue }
                    let reduced = try input.reducedGradient(g, op: fn.name)
                    if detecting { try AnomalyMode.checkBackward(reduced, op: fn.name, input: index) }
                    let key = ObjectIdentifier(input)
                    pending[key] = try pending[key].map { try Ops.add($0, reduced) } ?? reduced
                }
                if !retainGraph {
                    if detecting { walked.append(node) } else { node.gradFn = nil }
                }
            }
            for node in walked { node.gradFn = nil }
            for (leaf, gradient) in leafGradients { try leaf.accumulate(gradient) }
        }
    }

    /// Tensors reachable from `self` through recorded nodes, each after every tensor that uses it.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradFn?.inputs ?? [] where input.requiresGrad {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order.reversed()
    }

    /// Adds `gradient` into this leaf's `.grad` buffer in place.
    private func accumulate(_ gradient: Tensor) throws {
        guard let buffer = try gradBuffer() else { return }
        try Ops.addInPlace(buffer, gradient)
    }

    /// `gradient` summed over the axes along which `self` was broadcast and cast to `self`'s
    /// dtype: the one place where broadcasting is undone for every op.
    func reducedGradient(_ gradient: Tensor, op: String) throws -> Tensor {
        var g = gradient
        if g.shape != shape {
            let lead = g.rank - rank
            guard lead >= 0 else {
                throw EngineError.shapeMismatch("\(op) backward: gradient of shape \(describe(g.shape)) does not fit input \(describe(shape))")
            }
            var axes = Array(0..<lead)
            for i in 0..<rank where shape[i] == 1 && g.shape[lead + i] != 1 { axes.append(lead + i) }
            g = try Ops.sum(g, axes: axes, keepDims: true)
            if g.shape != shape { g = try Ops.reshape(g, shape) }
        }
        if g.dtype != dtype { g = try Ops.cast(g, to: dtype) }
        return g
    }
}
