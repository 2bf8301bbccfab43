/// A recorded op in the dynamic graph: its inputs and the rule mapping the gradients of its
/// outputs to one gradient per input (`nil` where an input needs none).
///
/// A node has one or more outputs; each output tensor holds the node as its `gradFn`, with its
/// position in `outputIndex`. Rules are written with engine ops, so when grad mode is on while
/// a rule runs, the gradients it computes are recorded in turn and can be differentiated again.
/// Rules may return gradients in the *output's* broadcast shape; the backward walk reduces them
/// to each input's shape and dtype in one place (`Tensor.reducedGradient`).
public final class Node {
    /// The backward rule, in the form the op gave it.
    enum Rule {
        /// From the gradient of the single output.
        case single((_ g: Tensor) throws -> [Tensor?])
        /// From the gradient of the single output and the output itself.
        case singleWithOutput((_ g: Tensor, _ y: Tensor) throws -> [Tensor?])
        /// From the gradients of every output (`nil` for an output no gradient reached: zero)
        /// and the output tensors (`nil` for an output the walk did not come through).
        case multiple((_ gradients: [Tensor?], _ outputs: [Tensor?]) throws -> [Tensor?])
    }

    /// The op's name, for error messages.
    public let name: String
    /// The tensors the op read (emptied when the graph is freed).
    public private(set) var inputs: [Tensor]
    /// The backward rule; nil once the graph through this node has been freed.
    private var rule: Rule?
    /// Shape and dtype of each output and input when the op ran. Rules rely on them, so
    /// backward refuses a node whose tensors were since rebound to data of another shape or type.
    /// The first output's is kept apart, so that a single-output node allocates no array for it,
    /// and so are the first two inputs' (most ops have one or two).
    private let firstOutputLayout: Layout
    private let otherOutputLayouts: [Layout]
    private let leadingInputLayouts: (Layout?, Layout?)
    private let otherInputLayouts: [Layout]

    /// A tensor's shape and dtype.
    struct Layout: Equatable {
        let shape: [Int]
        let dtype: DType
        /// The layout `t` has now.
        init(_ t: Tensor) { (shape, dtype) = (t.shape, t.dtype) }
    }

    /// A node for the op `name` that produced the outputs `first` and `others` from `inputs`.
    init(name: String, first: Layout, others: [Layout], inputs: [Tensor], rule: Rule) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
        self.firstOutputLayout = first
        self.otherOutputLayouts = others
        let count = inputs.count
        self.leadingInputLayouts = (count > 0 ? Layout(inputs[0]) : nil, count > 1 ? Layout(inputs[1]) : nil)
        self.otherInputLayouts = count > 2 ? inputs[2...].map(Layout.init) : []
    }

    /// Number of outputs.
    var outputCount: Int { 1 + otherOutputLayouts.count }

    /// Output k's layout when the op ran.
    private func outputLayout(_ k: Int) -> Layout { k == 0 ? firstOutputLayout : otherOutputLayouts[k - 1] }

    /// Input i's layout when the op ran (nil past the inputs).
    private func inputLayout(_ i: Int) -> Layout? {
        switch i {
        case 0: return leadingInputLayouts.0
        case 1: return leadingInputLayouts.1
        default: return i - 2 < otherInputLayouts.count ? otherInputLayouts[i - 2] : nil
        }
    }

    /// True once a backward without `retainGraph` has walked through this node.
    var isFreed: Bool { rule == nil }

    /// Drops the rule and the inputs (and with them what the rule saved).
    func free() {
        rule = nil
        inputs = []
    }

    /// Runs the rule on the gradients and tensors of the outputs (`arrivals[k]` for output k),
    /// after checking that they and the inputs still have the layouts the rule was recorded for.
    func inputGradients(_ arrivals: Arrivals) throws -> [Tensor?] {
        guard let rule else {
            throw EngineError.invalidState("backward: part of the graph has been freed by an earlier backward(); use retain_graph=True to backward twice")
        }
        for k in 0..<outputCount {
            if let g = arrivals[k].gradient, Layout(g) != outputLayout(k) {
                throw reassigned(outputCount == 1 ? "its output" : "output \(k)", outputLayout(k))
            }
        }
        if let i = inputs.indices.first(where: { Layout(inputs[$0]) != inputLayout($0) }), let expected = inputLayout(i) {
            throw reassigned("input \(i)", expected)
        }
        switch rule {
        case .single(let rule):
            guard let g = arrivals[0].gradient else { return inputs.map { _ in nil } }
            return try rule(g)
        case .singleWithOutput(let rule):
            guard let g = arrivals[0].gradient, let y = arrivals[0].output else { return inputs.map { _ in nil } }
            return try rule(g, y)
        case .multiple(let rule):
            let all = (0..<outputCount).map { arrivals[$0] }
            return try rule(all.map(\.gradient), all.map(\.output))
        }
    }

    private func reassigned(_ what: String, _ expected: Layout) -> EngineError {
        .invalidState("backward: \(what) of '\(name)' was reassigned to data of another shape or dtype after the op ran (expected \(describe(expected.shape)) \(expected.dtype.name))")
    }

    /// What reached one output of a node during a backward walk.
    struct Arrival {
        /// The sum of the gradients that reached it.
        var gradient: Tensor?
        /// The output tensor, as the walk came through it.
        var output: Tensor?
    }

    /// What reached each output of a node: the first output inline (no allocation for the
    /// single-output nodes that most ops record), the others in an array.
    struct Arrivals {
        private var first = Arrival()
        private var others: [Arrival]

        /// Nothing yet, for a node of `count` outputs.
        init(count: Int) { others = count > 1 ? Array(repeating: Arrival(), count: count - 1) : [] }

        subscript(k: Int) -> Arrival {
            get { k == 0 ? first : others[k - 1] }
            set { if k == 0 { first = newValue } else { others[k - 1] = newValue } }
        }
    }
}

extension Tensor {
    /// Attaches a backward rule to `self` when grad mode is on and some input requires grad,
    /// after checking `self` for NaN and infinity when anomaly detection is on. The rule maps
    /// the output gradient `g` to the input gradients.
    /// Returns `self`, so ops can end with `return try out.recording(...)`.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], _ rule: @escaping (_ g: Tensor) throws -> [Tensor?]) throws -> Tensor {
        try Tensor.attach(.single(rule), name, first: self, inputs)
        return self
    }

    /// As `recording(_:_:_:)`, for rules that also read the output `y` itself (recorded in the
    /// graph, so a gradient through it is differentiated again correctly).
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor],
                   _ rule: @escaping (_ g: Tensor, _ y: Tensor) throws -> [Tensor?]) throws -> Tensor {
        try Tensor.attach(.singleWithOutput(rule), name, first: self, inputs)
        return self
    }

    /// As `recording(_:_:_:)` for a fused op whose math is also written as `composite`, a
    /// function of `inputs` made of simpler ops: the backward is derived from the composite
    /// (`Autograd.vjp`), so the fused kernel needs no derivative written by hand.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], composite: @escaping ([Tensor]) throws -> Tensor) throws -> Tensor {
        try recording(name, inputs) { g in try Autograd.vjp(inputs, seeds: [g]) { [try composite($0)] } }
    }

    /// Records one node producing several `outputs`, so that one rule sees all their gradients
    /// at once (`nil` for an output no gradient reached).
    static func recording(_ outputs: [Tensor], _ name: String, _ inputs: [Tensor],
                          _ rule: @escaping (_ gradients: [Tensor?], _ outputs: [Tensor?]) throws -> [Tensor?]) throws {
        guard let first = outputs.first else { return }
        try attach(.multiple(rule), name, first: first, others: outputs.dropFirst(), inputs)
    }

    /// Records one node for a fused op with several outputs (nil where not computed) whose math
    /// is also written as `composite`, giving the same outputs from `inputs` with simpler ops;
    /// the backward is derived from the composite (`Autograd.vjp`).
    static func recording(_ outputs: [Tensor?], _ name: String, _ inputs: [Tensor],
                          composite: @escaping ([Tensor]) throws -> [Tensor?]) throws {
        let present = outputs.enumerated().compactMap { position, t in t.map { (position, $0) } }
        // The rule keeps positions only: a reference to an output would keep its node alive.
        let positions = present.map(\.0), count = outputs.count
        try recording(present.map(\.1), name, inputs) { gradients, _ in
            var seeds = [Tensor?](repeating: nil, count: count)
            for (k, position) in positions.enumerated() { seeds[position] = gradients[k] }
            return try Autograd.vjp(inputs, seeds: seeds, composite)
        }
    }

    /// Makes the node when grad mode is on and some input requires grad: the float outputs
    /// (checked for NaN and infinity when anomaly detection is on) get it as their `gradFn`.
    /// The outputs are `first` and `others` (apart, so a single output needs no array).
    private static func attach(_ rule: Node.Rule, _ name: String, first: Tensor, others: ArraySlice<Tensor> = [],
                               _ inputs: [Tensor]) throws {
        guard GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) else { return }
        guard first.dtype.isFloatingPoint || others.contains(where: { $0.dtype.isFloatingPoint }) else { return }
        if AnomalyMode.isEnabled {
            for output in [first] + others where output.dtype.isFloatingPoint {
                try AnomalyMode.checkForward(output, op: name, inputs: inputs)
            }
        }
        let node = Node(name: name, first: Node.Layout(first), others: others.map(Node.Layout.init), inputs: inputs, rule: rule)
        /// Makes `output`, the node's output `k`, one of its results when it is float.
        func adopt(_ output: Tensor, _ k: Int) {
            guard output.dtype.isFloatingPoint else { return }
            output.requiresGrad = true
            output.isLeaf = false
            output.gradFn = node
            output.outputIndex = k
        }
        adopt(first, 0)
        for (k, output) in others.enumerated() { adopt(output, k + 1) }
    }
}
