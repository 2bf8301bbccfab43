/// Reverse-mode differentiation over the graph recorded by ops.
extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad,
    /// adding it to their `.grad` (as `torch.Tensor.backward`).
    ///
    /// - `gradient`: the gradient of some scalar with respect to `self`, of `self`'s shape;
    ///   may be omitted only for a one-element tensor (it is then 1).
    /// - `retainGraph`: keep the graph for another backward (by default only with
    ///   `createGraph`); otherwise it is freed as it is walked, and a second call fails.
    /// - `createGraph`: record the backward pass itself, so the gradients it computes (as hooks
    ///   see them) can be differentiated again; `.grad` receives their values only (see
    ///   `accumulate`).
    ///
    /// Leaves' `.grad` change only once the whole walk has succeeded, so a failed backward adds
    /// nothing. With anomaly detection on, each input gradient a node produces is checked for
    /// NaN and infinity, and the graph is freed only at the end: after an anomaly error the graph
    /// is whole and backward can run again (say with detection off, to look at the gradients).
    public func backward(gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) throws {
        guard requiresGrad else {
            throw EngineError.invalidState("backward: tensor does not require grad and has no grad_fn")
        }
        if gradFn?.isFreed == true {
            throw EngineError.invalidState("backward: the graph of this tensor has been freed by an earlier backward(); use retain_graph=True to backward twice")
        }
        let seed = try Autograd.seed(gradient, for: self, op: "backward", position: nil)
        try GradMode.with(enabled: createGraph) {
            let walk = try GraphWalk.run(from: [(self, seed)], retainGraph: retainGraph ?? createGraph)
            for (leaf, gradient) in walk.reached { try leaf.accumulate(gradient) }
            for (tensor, gradient) in walk.retained { try tensor.accumulate(gradient) }
        }
    }

    /// Adds the values of `gradient` into `.grad` (of a leaf, or a non-leaf that retains it),
    /// in place once the buffer exists, so views of it see the sum.
    ///
    /// `.grad` never holds a recorded graph, unlike PyTorch after `backward(create_graph=True)`:
    /// that graph usually refers back to the tensor itself (the gradient of x·x is 2x), a
    /// reference cycle that would keep both alive forever (PyTorch documents the same leak).
    /// Gradients that stay differentiable come from `Autograd.grad` instead, or from hooks.
    private func accumulate(_ gradient: Tensor) throws {
        if let grad {
            try Ops.addInPlace(grad, gradient)
        } else {
            grad = try Ops.cast(gradient.detached(), to: dtype, copy: true)
        }
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

/// One walk of the graph from seeded tensors back towards the leaves.
enum GraphWalk {
    /// Where a walk goes and what it returns.
    enum Destination {
        /// Every leaf that requires grad (`backward`).
        case leaves
        /// The given tensors, leaves or not, each taken as independent: the walk goes no
        /// further than them (the partial derivatives of a composite, `Autograd.vjp`).
        case stoppingAt([Tensor])
        /// The given tensors, leaves or not, with the walk going on through them to the others
        /// (`Autograd.grad`); only the part of the graph leading to them is walked.
        case through([Tensor])
    }

    /// What a walk found.
    struct Result {
        /// The gradient that reached each destination, in the order first reached.
        var reached: [(Tensor, Tensor)] = []
        /// The gradient of each non-leaf tensor on the way that retains its gradient.
        var retained: [(Tensor, Tensor)] = []
    }

    /// Propagates each seed gradient (same shape and dtype as its tensor) back through the
    /// recorded nodes, calling every node's rule once with the summed gradients of its outputs,
    /// and returns what reaches the `destination`. A tensor's hooks see its total gradient
    /// before it goes on. Nodes are freed as they are walked unless `retainGraph`; with anomaly
    /// detection on, each input gradient is checked and nodes are freed only when the walk
    /// succeeded.
    static func run(from seeds: [(tensor: Tensor, gradient: Tensor)], retainGraph: Bool,
                    to destination: Destination = .leaves) throws -> Result {
        let detecting = AnomalyMode.isEnabled
        var stops = Set<ObjectIdentifier>(), wanted = Set<ObjectIdentifier>()
        // A composite's partial derivatives are no tensor's gradient: hooks are not for them.
        var observing = true
        switch destination {
        case .leaves: break
        case .stoppingAt(let targets): (stops, observing) = (Set(targets.map(ObjectIdentifier.init)), false)
        case .through(let targets): wanted = Set(targets.map(ObjectIdentifier.init))
        }
        /// Whether the walk stops at `t` (a gradient reaching it is collected, not passed on).
        func stopsAt(_ t: Tensor) -> Bool { !stops.isEmpty && stops.contains(ObjectIdentifier(t)) }
        let roots = seeds.filter { !stopsAt($0.tensor) }.compactMap { $0.tensor.gradFn }
        let schedule = order(roots, stoppingAt: stops, toward: wanted)
        // What reached each node's outputs so far, by the node's position in the schedule.
        var pending = [Node.Arrivals?](repeating: nil, count: schedule.count)
        // Each node's position in the schedule: in a small one, a search of the schedule itself.
        let positionTable = schedule.count > IdentityIndex.linearLimit ? IdentityIndex(schedule.lazy.map { $0.0 }) : nil
        func position(of node: Node) -> Int? {
            if let positionTable { return positionTable[ObjectIdentifier(node)] }
            return schedule.firstIndex { $0.0 === node }
        }
        var result = Result()
        result.reached.reserveCapacity(4)  // (room for a small graph's leaves in one allocation)
        var slots = IdentityIndex()  // the destinations, numbered as in `result.reached`

        /// Adds `g` to what `t`, a destination, has received.
        func collect(_ g: Tensor, at t: Tensor) throws {
            if let slot = slots[ObjectIdentifier(t)] {
                var sum = result.reached[slot].1
                result.reached[slot].1 = g  // the walk's own reference moves to `sum`
                result.reached[slot].1 = try adding(g, to: &sum)
            } else {
                slots.insert(ObjectIdentifier(t))
                result.reached.append((t, g))
            }
        }
        /// Adds `g` to what has reached `t` so far.
        func deliver(_ g: Tensor, to t: Tensor) throws {
            if let node = t.gradFn, !stopsAt(t) {
                // (every node a gradient reaches is in the schedule)
                guard let position = position(of: node) else { return }
                let k = t.outputIndex
                var arrivals = pending[position].take() ?? Node.Arrivals(count: node.outputCount)
                var total = g
                if var sum = arrivals[k].gradient {
                    arrivals[k] = Node.Arrival()  // the walk's reference moves to `sum` alone
                    total = try adding(g, to: &sum)
                }
                arrivals[k] = Node.Arrival(gradient: total, output: t)
                pending[position] = arrivals
            } else if wanted.isEmpty || wanted.contains(ObjectIdentifier(t)) {
                try collect(g, at: t)
            }
        }

        for (tensor, gradient) in seeds where tensor.requiresGrad { try deliver(gradient, to: tensor) }
        var walked: [Node] = []  // nodes freed at the end (anomaly detection)
        // A watched leaf's hooks run as soon as its gradient is final, right after the last node
        // that can add to it (data-parallel training starts its reductions then), not at the end.
        var leafHooksAfter: [Int: [Tensor]] = [:]
        var leavesHooked = Set<ObjectIdentifier>()
        if observing {
            var watched: [Tensor] = [], lastFeeder: [ObjectIdentifier: Int] = [:]
            for (position, (node, leadsOn)) in schedule.enumerated() where leadsOn {
                for input in node.inputs where input.requiresGrad && input.gradFn == nil && input.gradientObservers != nil {
                    if lastFeeder.updateValue(position, forKey: ObjectIdentifier(input)) == nil { watched.append(input) }
                }
            }
            // In the order first met, so that every process runs the hooks in the same order.
            for leaf in watched {
                if let position = lastFeeder[ObjectIdentifier(leaf)] { leafHooksAfter[position, default: []].append(leaf) }
            }
        }
        /// Runs the hooks of a leaf whose gradient is final.
        func runLeafHooks(_ leaf: Tensor) throws {
            guard let observers = leaf.gradientObservers, leavesHooked.insert(ObjectIdentifier(leaf)).inserted,
                  let slot = slots[ObjectIdentifier(leaf)] else { return }
            result.reached[slot].1 = try observers.run(result.reached[slot].1, of: leaf)
        }
        for (position, (node, leadsOn)) in schedule.enumerated() {
            if !leafHooksAfter.isEmpty {
                for leaf in leafHooksAfter[position - 1] ?? [] { try runLeafHooks(leaf) }
            }
            guard var arrivals = pending[position].take() else { continue }
            for k in 0..<node.outputCount {
                guard let output = arrivals[k].output, let g = arrivals[k].gradient else { continue }
                guard let observers = output.gradientObservers, observing else {
                    if !wanted.isEmpty && wanted.contains(ObjectIdentifier(output)) { try collect(g, at: output) }
                    continue
                }
                let observed = try observers.run(g, of: output)
                arrivals[k].gradient = observed
                if observers.retainsGrad { result.retained.append((output, observed)) }
                if wanted.contains(ObjectIdentifier(output)) { try collect(observed, at: output) }
            }
            guard leadsOn else { continue }
            let inputs = node.inputs
            let inputGrads = try Profiler.scope(node.name + " backward") { try node.inputGradients(arrivals) }
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
        for leaf in leafHooksAfter[schedule.count - 1] ?? [] { try runLeafHooks(leaf) }
        // Leaves reached by no node (seeded directly) get their hooks last.
        for (tensor, _) in result.reached where observing && tensor.gradFn == nil { try runLeafHooks(tensor) }
        for node in walked { node.free() }
        return result
    }

    /// `sum + g` for two gradients of one tensor, `sum` being what the walk gathered so far and
    /// the caller's reference to it the walk's only one. The sum is written into `sum`'s memory,
    /// without a new tensor, when nothing else can see that memory: grad mode is off (nothing
    /// records the sum, so never under `create_graph`), `sum` is referenced only here and
    /// requires no grad, and its storage is the library's own and used by no other tensor. A
    /// gradient also held elsewhere (a hook's or a node's, the same gradient delivered twice, a
    /// view of it, the caller's seed) fails that test and gets a new tensor.
    private static func adding(_ g: Tensor, to sum: inout Tensor) throws -> Tensor {
        guard !GradMode.isEnabled, !sum.requiresGrad, sum.shape == g.shape, sum.dtype == g.dtype,
              isKnownUniquelyReferenced(&sum), sum.ownsItsMemoryAlone else {
            return try Ops.add(sum, g)
        }
        try Ops.addInPlace(sum, g)
        return sum
    }

    /// The nodes reachable from `roots` without going through a tensor of `stops`, each after
    /// every node that uses one of its outputs, with whether the walk must run its rule: always,
    /// unless `wanted` names destinations, when only nodes leading to one of them go on (a
    /// node whose output is wanted but leads to none is listed only to collect that output).
    private static func order(_ roots: [Node], stoppingAt stops: Set<ObjectIdentifier>,
                              toward wanted: Set<ObjectIdentifier>) -> [(Node, Bool)] {
        // Built in place, in arrays with room for a small graph from the start (growing them an
        // element at a time cost more than the rest of a 3-node walk).
        var order: [(Node, Bool)] = []
        order.reserveCapacity(16)
        var visited = IdentityIndex()
        var stack: [(Node, Bool)] = []
        stack.reserveCapacity(16)
        stack.append(contentsOf: roots.lazy.map { ($0, false) })
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append((node, true))
                continue
            }
            guard visited.insert(ObjectIdentifier(node)) else { continue }
            stack.append((node, true))
            for input in node.inputs where input.requiresGrad && (stops.isEmpty || !stops.contains(ObjectIdentifier(input))) {
                if let next = input.gradFn, visited[ObjectIdentifier(next)] == nil { stack.append((next, false)) }
            }
        }
        // `order` has every node after the nodes of its inputs.
        if !wanted.isEmpty {
            // A freed node may have led anywhere: its rule runs, to report that it was freed.
            var leading = Set<ObjectIdentifier>()
            for k in order.indices {
                let node = order[k].0
                order[k].1 = node.isFreed || node.inputs.contains { input in
                    input.requiresGrad && (wanted.contains(ObjectIdentifier(input)) || input.gradFn.map { leading.contains(ObjectIdentifier($0)) } == true)
                }
                if order[k].1 { leading.insert(ObjectIdentifier(node)) }
            }
        }
        order.reverse()
        return order
    }
}

/// Gradients of chosen outputs with respect to chosen inputs, outside `.grad`.
public enum Autograd {
    /// The gradients of `outputs` with respect to `inputs` (`torch.autograd.grad`): for each
    /// input, the sum over outputs of the vector-Jacobian product with that output's gradient
    /// (`gradOutputs[k]`, which may be omitted for a one-element output). No `.grad` changes.
    ///
    /// The graph is freed unless `retainGraph` (by default only with `createGraph`). With
    /// `createGraph` the computation is recorded, so the results can be differentiated again.
    /// An input the outputs do not depend on is an error unless `allowUnused`, when its result
    /// is nil.
    public static func grad(of outputs: [Tensor], withRespectTo inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
                            retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) throws -> [Tensor?] {
        let op = "grad"
        guard !outputs.isEmpty && !inputs.isEmpty else {
            throw EngineError.invalidArgument("\(op): outputs and inputs must each hold at least one tensor")
        }
        if let gradOutputs, gradOutputs.count != outputs.count {
            throw EngineError.invalidArgument("\(op): got \(gradOutputs.count) grad_outputs for \(outputs.count) outputs")
        }
        for (k, output) in outputs.enumerated() {
            guard output.requiresGrad else {
                throw EngineError.invalidState("\(op): output \(k) does not require grad and has no grad_fn")
            }
            if output.gradFn?.isFreed == true {
                throw EngineError.invalidState("\(op): the graph of output \(k) has been freed by an earlier backward(); use retain_graph=True to backward twice")
            }
        }
        if let k = inputs.firstIndex(where: { !$0.requiresGrad }) {
            throw EngineError.invalidState("\(op): input \(k) does not require grad")
        }
        let seeds = try outputs.enumerated().map { k, output in
            (output, try seed(gradOutputs?[k], for: output, op: op, position: k))
        }
        return try GradMode.with(enabled: createGraph) {
            let walk = try GraphWalk.run(from: seeds, retainGraph: retainGraph ?? createGraph, to: .through(inputs))
            return try inputs.enumerated().map { k, input in
                if let g = walk.reached.first(where: { $0.0 === input })?.1 { return g }
                guard allowUnused else {
                    throw EngineError.invalidState("\(op): input \(k) was not used to compute the outputs; pass allow_unused=True if that is intended")
                }
                return nil
            }
        }
    }

    /// The gradient a backward starts from at `output`: `gradient` checked to have the
    /// output's shape and cast to its dtype, or 1 for a one-element output when omitted.
    static func seed(_ gradient: Tensor?, for output: Tensor, op: String, position: Int?) throws -> Tensor {
        let which = position.map { "grad_outputs[\($0)]" } ?? "gradient"
        guard let gradient else {
            guard output.count == 1 else {
                throw EngineError.invalidArgument("\(op): a gradient can be implied only for an output of one element; pass \(which) of shape \(describe(output.shape))")
            }
            return try Tensor.full(1, dtype: output.dtype, shape: output.shape)
        }
        guard gradient.shape == output.shape else {
            throw EngineError.shapeMismatch("\(op): \(which) has shape \(describe(gradient.shape)) but the output has shape \(describe(output.shape))")
        }
        guard gradient.dtype.isFloatingPoint else {
            throw EngineError.dtype("\(op): \(which) must be floating point, got \(gradient.dtype.name)")
        }
        return try Ops.cast(gradient, to: output.dtype)
    }

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
        let reached = try GraphWalk.run(from: pairs, retainGraph: recording, to: .stoppingAt(variables)).reached
        return try variables.map { v in
            guard let g = reached.first(where: { $0.0 === v })?.1 else { return nil }
            return try v.reducedGradient(g, op: "vjp")
        }
    }
}

/// Objects (by identity) numbered in the order first added, for a walk's bookkeeping: kept in
/// an array searched linearly while there are few (a small graph's walk then hashes nothing,
/// which cost more than the rest of its bookkeeping), in a dictionary beyond.
struct IdentityIndex {
    /// Objects kept in the array at most.
    static let linearLimit = 8
    private var few: [ObjectIdentifier] = []
    private var many: [ObjectIdentifier: Int] = [:]

    /// Empty.
    init() {}

    /// `objects`, all distinct, numbered in their order.
    init<S: Sequence>(_ objects: S) where S.Element: AnyObject {
        for object in objects { insert(ObjectIdentifier(object)) }
    }

    /// The number `key` got when it was added, if it was.
    subscript(key: ObjectIdentifier) -> Int? {
        many.isEmpty ? few.firstIndex(of: key) : many[key]
    }

    /// Adds `key` unless it is in already; returns whether it was added.
    @discardableResult
    mutating func insert(_ key: ObjectIdentifier) -> Bool {
        guard self[key] == nil else { return false }
        if many.isEmpty && few.count < IdentityIndex.linearLimit {
            if few.isEmpty { few.reserveCapacity(IdentityIndex.linearLimit) }
            few.append(key)
        } else {
            if many.isEmpty {
                for (number, k) in few.enumerated() { many[k] = number }
                few = []
            }
            many[key] = many.count
        }
        return true
    }
}
