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
        if gradFn?.isFreed == true {
            throw EngineError.invalidState("backward: the graph of this tensor has been freed by an earlier backward(); use retain_graph=True to backward twice")
        }
        try GradMode.with(enabled: false) {
            let seed = try Tensor.full(1, dtype: dtype, shape: shape)
            let leafGradients = try GraphWalk.run(from: [(self, seed)], retainGraph: retainGraph)
            for (leaf, gradient) in leafGradients { try leaf.accumulate(gradient) }
        }
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

/// One walk of the graph from seeded tensors back to the leaves.
enum GraphWalk {
    /// Propagates each seed gradient (same shape and dtype as its tensor) back through the
    /// recorded nodes, calling every node's rule once with the summed gradients of its outputs,
    /// and returns the gradient reaching each leaf that requires grad, in the order first
    /// reached. Nodes are freed as they are walked unless `retainGraph`; with anomaly detection
    /// on, each input gradient is checked and nodes are freed only when the walk succeeded.
    ///
    /// With `targets`, the walk stops at those tensors (leaves or not) and returns what reaches
    /// them, instead of going on to the leaves beyond.
    static func run(from seeds: [(tensor: Tensor, gradient: Tensor)], retainGraph: Bool,
                    targets: [Tensor]? = nil) throws -> [(Tensor, Tensor)] {
        let detecting = AnomalyMode.isEnabled
        let stops = targets.map { Set($0.map(ObjectIdentifier.init)) }
        var pending: [ObjectIdentifier: Node.Arrivals] = [:]
        var leaves: [(Tensor, Tensor)] = []
        var leafSlot: [ObjectIdentifier: Int] = [:]

        /// Adds `g` to what has reached `t` so far.
        func deliver(_ g: Tensor, to t: Tensor) throws {
            if let node = t.gradFn, stops?.contains(ObjectIdentifier(t)) != true {
                let key = ObjectIdentifier(node), k = t.outputIndex
                var arrivals = pending.removeValue(forKey: key) ?? Node.Arrivals(count: node.outputCount)
                arrivals[k] = Node.Arrival(gradient: try arrivals[k].gradient.map { try Ops.add($0, g) } ?? g, output: t)
                pending[key] = arrivals
            } else if let slot = leafSlot[ObjectIdentifier(t)] {
                leaves[slot].1 = try Ops.add(leaves[slot].1, g)
            } else {
                leafSlot[ObjectIdentifier(t)] = leaves.count
                leaves.append((t, g))
            }
        }

        for (tensor, gradient) in seeds where tensor.requiresGrad { try deliver(gradient, to: tensor) }
        var walked: [Node] = []  // nodes freed at the end (anomaly detection)
        let roots = seeds.filter { stops?.contains(ObjectIdentifier($0.tensor)) != true }.compactMap { $0.tensor.gradFn }
        for node in topologicalOrder(roots, stoppingAt: stops ?? []) {
            guard let arrivals = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            let inputs = node.inputs
            let inputGrads = try node.inputGradients(arrivals)
            for (index, (input, g)) in zip(inputs, inputGrads).enumerated() where input.requiresGrad {
                guard let g else { continue }
                let reduced = try input.reducedGradient(g, op: node.name)
                if detecting { try AnomalyMode.checkBackward(reduced, op: node.name, input: index) }
                try deliver(reduced, to: input)
            }
            if !retainGraph {
                if detecting { walked.append(node) } else { node.free() }
            }
        }
        for node in walked { node.free() }
        return leaves
    }

    /// The nodes reachable from `roots` without going through a tensor of `stops`, each after
    /// every node that uses one of its outputs.
    private static func topologicalOrder(_ roots: [Node], stoppingAt stops: Set<ObjectIdentifier>) -> [Node] {
        var order: [Node] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Node, Bool)] = roots.map { ($0, false) }
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for input in node.inputs where input.requiresGrad && !stops.contains(ObjectIdentifier(input)) {
                if let next = input.gradFn, !visited.contains(ObjectIdentifier(next)) { stack.append((next, false)) }
            }
        }
        return order.reversed()
    }
}

/// Derivatives of composite expressions, for the backward rules of fused ops.
enum Autograd {
    /// The vector-Jacobian product of `composite` at `inputs`: the gradient of
    /// `Σ_k seeds[k] · composite(inputs)[k]` with respect to each input that requires grad (nil
    /// for the others). Outputs whose seed is nil, and nil outputs, do not count.
    ///
    /// A fused kernel whose derivative is awkward to write out declares its math once more as
    /// a composite of simpler ops, and its backward rule is this product: the composite is
    /// evaluated with grad mode on and differentiated by the engine itself. Normally (grad mode
    /// off) on detached copies of the inputs; when the caller's backward is being recorded
    /// (grad mode on), on the inputs themselves, recording this walk too, so the product is in
    /// the graph and can be differentiated again, to any order.
    static func vjp(_ inputs: [Tensor], seeds: [Tensor?], _ composite: ([Tensor]) throws -> [Tensor?]) throws -> [Tensor?] {
        let recording = GradMode.isEnabled
        let variables = try recording ? inputs : inputs.map { input in
            let v = input.detached()
            if input.requiresGrad { try v.setRequiresGrad(true) }
            return v
        }
        let outputs = try GradMode.with(enabled: true) { try composite(variables) }
        let pairs = try zip(outputs, seeds).compactMap { output, seed -> (Tensor, Tensor)? in
            guard let output, let seed, output.requiresGrad else { return nil }
            return (output, try Ops.cast(seed, to: output.dtype))
        }
        guard !pairs.isEmpty else { return variables.map { _ in nil } }
        // A recorded product refers to the composite's graph, which must then stay whole.
        let reached = try GraphWalk.run(from: pairs, retainGraph: recording, targets: variables)
        return try variables.map { v in
            guard let g = reached.first(where: { $0.0 === v })?.1 else { return nil }
            return try v.reducedGradient(g, op: "vjp")
        }
    }
}
