/// How one algorithm updates a parameter (SGD, Adam, Adagrad, Adadelta, AdamW, RMSprop, Adamax, NAdam).
public protocol UpdateRule {
    /// The algorithm's PyTorch/PyDyNet class name (`"Adam"`).
    var kind: String { get }
    /// Names of the state buffers each parameter gets (`["m", "v"]` for Adam), each of the
    /// parameter's shape and dtype.
    var bufferNames: [String] { get }
    /// Names of the settings in `options` order (`["beta1", "beta2", "eps", ...]`); flags are 0 or 1.
    static var optionNames: [String] { get }
    /// The settings, in `optionNames` order.
    var options: [Double] { get }
    /// Builds the rule from settings in `optionNames` order, checking each.
    init(options: [Double]) throws
    /// Updates `value` in place from `grad` and its state buffers; `step` counts this step from 1.
    func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int)
}

extension UpdateRule {
    /// The names of the settings of this rule.
    public var optionNames: [String] { Self.optionNames }

    /// The same algorithm with other settings (checked).
    public func with(options: [Double]) throws -> UpdateRule {
        guard options.count == Self.optionNames.count else {
            throw EngineError.invalidArgument("\(kind): expected \(Self.optionNames.count) options (\(Self.optionNames.joined(separator: ", "))), got \(options.count)")
        }
        return try Self(options: options)
    }

    /// Fails unless `value` is finite and in `range` (`upperOpen` excludes the upper bound).
    static func check(_ value: Double, _ range: ClosedRange<Double>, _ name: String, _ kind: String,
                      upperOpen: Bool = false) throws {
        guard value.isFinite && range.contains(value) && !(upperOpen && value == range.upperBound) else {
            let close = upperOpen ? ")" : "]"
            throw EngineError.invalidArgument("\(kind): \(name) must be in [\(range.lowerBound), \(range.upperBound)\(close), got \(value)")
        }
    }

    /// Reads a flag setting: fails unless `value` is 0 or 1.
    static func flag(_ value: Double, _ name: String, _ kind: String) throws -> Bool {
        guard value == 0 || value == 1 else {
            throw EngineError.invalidArgument("\(kind): \(name) must be 0 (false) or 1 (true), got \(value)")
        }
        return value == 1
    }
}

/// One parameter group: a range of the optimizer's parameters with its own rule settings and
/// learning rate (PyTorch's `param_groups` entry).
public struct ParameterGroup {
    /// The update algorithm with this group's settings.
    public internal(set) var rule: UpdateRule
    /// The learning rate used by the next `step()`.
    public internal(set) var learningRate: Double
    /// The learning rate when the first scheduler was attached (schedules start from it).
    public internal(set) var initialLearningRate: Double?
    /// Indices of this group's tensors in `Optimizer.parameters`.
    public let range: Range<Int>
}

/// An optimizer: parameter groups (each with its rule settings and learning rate), the step
/// count and the per-parameter state buffers (zero-initialised, same shape and dtype as their
/// parameter). `step()` updates every parameter of every group that has a gradient in one
/// call; parameters without a gradient are skipped, as in PyTorch.
public final class Optimizer {
    /// The groups, in the order they were added.
    public private(set) var groups: [ParameterGroup] = []
    /// The tensors updated by `step()`, group after group.
    public private(set) var parameters: [Tensor] = []
    /// How many steps have been taken.
    public var stepCount = 0
    /// `buffers[i][j]` is state buffer `rule.bufferNames[j]` of parameter `i` (its group's rule).
    public private(set) var buffers: [[Tensor]] = []
    /// The algorithm's class name.
    public let kind: String

    /// An optimizer with one group.
    public init(_ rule: UpdateRule, parameters: [Tensor], learningRate: Double) throws {
        kind = rule.kind
        try addGroup(rule, parameters: parameters, learningRate: learningRate)
    }

    /// The first group's rule.
    public var rule: UpdateRule { groups[0].rule }
    /// The first group's learning rate.
    public var learningRate: Double { groups[0].learningRate }

    /// Adds a group: its parameters (float leaves, none already in the optimizer), its rule
    /// (of this optimizer's kind) and learning rate.
    public func addGroup(_ rule: UpdateRule, parameters added: [Tensor], learningRate: Double) throws {
        guard rule.kind == kind else {
            throw EngineError.invalidArgument("\(kind): a parameter group cannot use \(rule.kind)")
        }
        try Optimizer.checkRate(learningRate, kind)
        let start = parameters.count
        for (offset, p) in added.enumerated() {
            let i = start + offset
            guard p.dtype == .float32 || p.dtype == .float64 else {
                throw EngineError.dtype("\(kind): parameter \(i) is \(p.dtype.name); only float32 and float64 tensors can be optimized (keep float16 models' master weights in float32)")
            }
            guard p.isLeaf else {
                throw EngineError.invalidArgument("\(kind): parameter \(i) is not a leaf tensor (it is the result of an operation)")
            }
            if let j = (parameters + added[..<offset]).firstIndex(where: { $0 === p }) {
                throw EngineError.invalidArgument("\(kind): parameters \(j) and \(i) are the same tensor (a parameter may appear in one group only)")
            }
        }
        let newBuffers = try added.map { p in
            try rule.bufferNames.map { _ in try Tensor(shape: p.shape, dtype: p.dtype, zeroed: true, op: kind) }
        }
        groups.append(ParameterGroup(rule: rule, learningRate: learningRate, initialLearningRate: nil,
                                     range: start..<(start + added.count)))
        parameters += added
        buffers += newBuffers
    }

    /// Fails unless `rate` is finite and not negative.
    static func checkRate(_ rate: Double, _ kind: String) throws {
        guard rate.isFinite && rate >= 0 else {
            throw EngineError.invalidArgument("\(kind): learning rate must be finite and >= 0, got \(rate)")
        }
    }

    /// Fails unless `group` is a group index.
    func checkGroup(_ group: Int) throws {
        guard group >= 0 && group < groups.count else {
            throw EngineError.index("\(kind): group \(group) is out of range for \(groups.count) groups")
        }
    }

    /// Sets the learning rate of every group (finite, >= 0).
    public func setLearningRate(_ rate: Double) throws {
        try Optimizer.checkRate(rate, kind)
        for g in groups.indices { groups[g].learningRate = rate }
    }

    /// Sets the learning rate of one group (finite, >= 0).
    public func setLearningRate(_ rate: Double, group: Int) throws {
        try checkGroup(group)
        try Optimizer.checkRate(rate, kind)
        groups[group].learningRate = rate
    }

    /// Records the group's current rate as its initial rate unless one is recorded.
    func recordInitialRate(group: Int) {
        if groups[group].initialLearningRate == nil { groups[group].initialLearningRate = groups[group].learningRate }
    }

    /// Replaces one group's settings (in `rule.optionNames` order). State buffers the new
    /// settings need and the old ones did not start at zero; buffers no longer needed are dropped.
    public func setOptions(_ options: [Double], group: Int) throws {
        try checkGroup(group)
        let old = groups[group].rule
        let new = try old.with(options: options)
        var replaced: [[Tensor]] = []
        for i in groups[group].range {
            let p = parameters[i]
            replaced.append(try new.bufferNames.map { name in
                if let j = old.bufferNames.firstIndex(of: name) { return buffers[i][j] }
                return try Tensor(shape: p.shape, dtype: p.dtype, zeroed: true, op: kind)
            })
        }
        for (offset, i) in groups[group].range.enumerated() { buffers[i] = replaced[offset] }
        groups[group].rule = new
    }

    /// Sets the one setting called `name` of a group.
    public func setOption(_ name: String, _ value: Double, group: Int) throws {
        try checkGroup(group)
        guard let index = groups[group].rule.optionNames.firstIndex(of: name) else {
            throw EngineError.invalidArgument("\(kind) has no option '\(name)'")
        }
        var options = groups[group].rule.options
        options[index] = value
        try setOptions(options, group: group)
    }

    /// Updates every parameter that has a gradient and counts the step. Nothing is written when
    /// a parameter was rebound to another shape or dtype since the optimizer was made.
    public func step() throws {
        for (i, p) in parameters.enumerated() {
            let stateFits = buffers[i].allSatisfy { $0.shape == p.shape && $0.dtype == p.dtype }
            if let grad = p.grad, !(stateFits && grad.shape == p.shape && grad.dtype == p.dtype) {
                throw EngineError.invalidState("\(kind).step: parameter \(i) is now \(p.dtype.name) \(describe(p.shape)), it was different when the optimizer was made")
            }
        }
        guard stepCount < Int.max else {
            throw EngineError.invalidState("\(kind).step: the step count \(stepCount) cannot grow further")
        }
        stepCount += 1
        for group in groups {
            for i in group.range {
                guard let grad = parameters[i].grad else { continue }
                group.rule.update(parameters[i], grad, buffers[i], learningRate: group.learningRate, step: stepCount)
            }
        }
    }

    /// Zeroes the gradient of every parameter.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// Every state buffer, named `"<parameter index>.<buffer>"` (`"0.m"`), for checkpoints.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        groups.flatMap { group in
            group.range.flatMap { i in zip(group.rule.bufferNames, buffers[i]).map { ("\(i).\($0)", $1) } }
        }
    }
}
