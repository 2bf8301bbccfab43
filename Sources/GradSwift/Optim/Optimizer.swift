/// How one algorithm updates a parameter (SGD, Adam, Adagrad, Adadelta).
public protocol UpdateRule {
    /// The algorithm's PyTorch/PyDyNet class name (`"Adam"`).
    var kind: String { get }
    /// Names of the state buffers each parameter gets (`["m", "v"]` for Adam).
    var bufferNames: [String] { get }
    /// Updates `value` in place from `grad` and its state buffers (all of one shape and float
    /// dtype); `step` counts this step from 1.
    func update(_ value: Tensor, _ grad: Tensor, _ state: [Tensor], learningRate: Double, step: Int)
}

/// An optimizer: parameters, an update rule, the learning rate, the step count and the
/// per-parameter state buffers (zero-initialised, same shape and dtype as their parameter).
/// `step()` updates every parameter that has a gradient in one call; parameters without a
/// gradient are skipped, as in PyTorch.
public final class Optimizer {
    /// The update algorithm.
    public let rule: UpdateRule
    /// The tensors updated by `step()`.
    public let parameters: [Tensor]
    /// The learning rate used by the next `step()`.
    public private(set) var learningRate: Double
    /// The learning rate when the first scheduler was attached (schedules start from it).
    public internal(set) var initialLearningRate: Double?
    /// How many steps have been taken.
    public var stepCount = 0
    /// `buffers[i][j]` is state buffer `rule.bufferNames[j]` of parameter `i`.
    public let buffers: [[Tensor]]

    /// Checks the parameters (float leaves) and the learning rate, and allocates the buffers.
    public init(_ rule: UpdateRule, parameters: [Tensor], learningRate: Double) throws {
        for (i, p) in parameters.enumerated() {
            guard p.dtype.isFloatingPoint else {
                throw EngineError.dtype("\(rule.kind): parameter \(i) is \(p.dtype.name); only float32 and float64 tensors can be optimized")
            }
            guard p.isLeaf else {
                throw EngineError.invalidArgument("\(rule.kind): parameter \(i) is not a leaf tensor (it is the result of an operation)")
            }
            if let j = parameters[..<i].firstIndex(where: { $0 === p }) {
                throw EngineError.invalidArgument("\(rule.kind): parameters \(j) and \(i) are the same tensor")
            }
        }
        try Optimizer.checkRate(learningRate, rule.kind)
        self.rule = rule
        self.parameters = parameters
        self.learningRate = learningRate
        self.buffers = try parameters.map { p in
            try rule.bufferNames.map { _ in try Tensor(shape: p.shape, dtype: p.dtype, zeroed: true, op: rule.kind) }
        }
    }

    /// Fails unless `rate` is finite and not negative.
    static func checkRate(_ rate: Double, _ kind: String) throws {
        guard rate.isFinite && rate >= 0 else {
            throw EngineError.invalidArgument("\(kind): learning rate must be finite and >= 0, got \(rate)")
        }
    }

    /// Sets the learning rate (finite, >= 0).
    public func setLearningRate(_ rate: Double) throws {
        try Optimizer.checkRate(rate, rule.kind)
        learningRate = rate
    }

    /// Updates every parameter that has a gradient and counts the step. Nothing is written when
    /// a parameter was rebound to another shape or dtype since the optimizer was made.
    public func step() throws {
        for (i, p) in parameters.enumerated() {
            let stateFits = buffers[i].allSatisfy { $0.shape == p.shape && $0.dtype == p.dtype }
            if let grad = p.grad, !(stateFits && grad.shape == p.shape && grad.dtype == p.dtype) {
                throw EngineError.invalidState("\(rule.kind).step: parameter \(i) is now \(p.dtype.name) \(describe(p.shape)), it was different when the optimizer was made")
            }
        }
        guard stepCount < Int.max else {
            throw EngineError.invalidState("\(rule.kind).step: the step count \(stepCount) cannot grow further")
        }
        stepCount += 1
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            rule.update(p, grad, buffers[i], learningRate: learningRate, step: stepCount)
        }
    }

    /// Zeroes the gradient of every parameter.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// Every state buffer, named `"<parameter index>.<buffer>"` (`"0.m"`), for checkpoints.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        buffers.enumerated().flatMap { i, list in
            zip(rule.bufferNames, list).map { ("\(i).\($0)", $1) }
        }
    }
}

extension UpdateRule {
    /// Fails unless `value` is finite and in `range` (`upperOpen` excludes the upper bound).
    static func check(_ value: Double, _ range: ClosedRange<Double>, _ name: String, _ kind: String,
                      upperOpen: Bool = false) throws {
        guard value.isFinite && range.contains(value) && !(upperOpen && value == range.upperBound) else {
            let close = upperOpen ? ")" : "]"
            throw EngineError.invalidArgument("\(kind): \(name) must be in [\(range.lowerBound), \(range.upperBound)\(close), got \(value)")
        }
    }

}
