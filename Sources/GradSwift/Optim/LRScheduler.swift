#if canImport(Glibc)
import Glibc
#endif

/// A learning-rate schedule driving the rate of each of an optimizer's groups by epoch (from
/// each group's initial rate), with PyTorch's closed forms
/// (PyDyNet's ExponentialLR and StepLR multiply the current rate again at every step, so
/// their decay compounds; PyTorch's and ours do not).
public final class LRScheduler {
    /// The schedules.
    public enum Schedule: Sendable {
        /// `base * gamma^epoch`.
        case exponential(gamma: Double)
        /// `base * gamma^(epoch / stepSize)`.
        case step(stepSize: Int, gamma: Double)
        /// `base * gamma^(number of milestones <= epoch)`.
        case multiStep(milestones: [Int], gamma: Double)
        /// `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`.
        case cosineAnnealing(tMax: Int, etaMin: Double)

        /// PyTorch's class name.
        public var kind: String {
            switch self {
            case .exponential: return "ExponentialLR"
            case .step: return "StepLR"
            case .multiStep: return "MultiStepLR"
            case .cosineAnnealing: return "CosineAnnealingLR"
            }
        }
    }

    /// The optimizer whose rate this schedule sets.
    public let optimizer: Optimizer
    /// The schedule.
    public let schedule: Schedule
    /// Each group's rate at epoch 0 (its initial rate); groups added later are not scheduled.
    public let baseLearningRates: [Double]
    /// The current epoch (0 after construction).
    public private(set) var lastEpoch: Int

    /// Attaches `schedule` to `optimizer` and takes the first step (to epoch `lastEpoch + 1`).
    /// With `lastEpoch == -1` the schedule starts from each group's current rate (recorded as
    /// its initial rate the first time); to resume, pass the last finished epoch: the schedule
    /// then starts from the recorded initial rate.
    public init(_ schedule: Schedule, optimizer: Optimizer, lastEpoch: Int = -1) throws {
        let kind = schedule.kind
        switch schedule {
        case .exponential(let gamma), .step(_, let gamma), .multiStep(_, let gamma):
            guard gamma.isFinite && gamma >= 0 else {
                throw EngineError.invalidArgument("\(kind): gamma must be finite and >= 0, got \(gamma)")
            }
        case .cosineAnnealing(_, let etaMin):
            guard etaMin.isFinite && etaMin >= 0 else {
                throw EngineError.invalidArgument("\(kind): eta_min must be finite and >= 0, got \(etaMin)")
            }
        }
        switch schedule {
        case .step(let size, _) where size <= 0:
            throw EngineError.invalidArgument("\(kind): step_size must be positive, got \(size)")
        case .cosineAnnealing(let tMax, _) where tMax <= 0:
            throw EngineError.invalidArgument("\(kind): T_max must be positive, got \(tMax)")
        case .multiStep(let milestones, _) where milestones != milestones.sorted():
            throw EngineError.invalidArgument("\(kind): milestones must be increasing, got \(milestones)")
        default: break
        }
        guard lastEpoch >= -1 else {
            throw EngineError.invalidArgument("\(kind): last_epoch must be >= -1, got \(lastEpoch)")
        }
        if lastEpoch == -1 {
            for g in optimizer.groups.indices { optimizer.recordInitialRate(group: g) }
        } else if optimizer.groups.contains(where: { $0.initialLearningRate == nil }) {
            throw EngineError.invalidArgument("\(kind): last_epoch=\(lastEpoch) resumes a schedule, but the optimizer has no initial learning rate (no schedule was attached to it before)")
        }
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLearningRates = optimizer.groups.map { $0.initialLearningRate ?? $0.learningRate }
        self.lastEpoch = lastEpoch
        try step()
    }

    /// Advances one epoch and sets the optimizer's rate for it.
    public func step() throws {
        guard lastEpoch < Int.max else {
            throw EngineError.invalidState("\(schedule.kind).step: epoch \(lastEpoch) cannot grow further")
        }
        try jump(to: lastEpoch + 1)
    }

    /// Moves to `epoch` (>= 0) and sets each group's rate for it (PyTorch's `step(epoch)`).
    public func jump(to epoch: Int) throws {
        guard epoch >= 0 else {
            throw EngineError.invalidArgument("\(schedule.kind): epoch must be >= 0, got \(epoch)")
        }
        let scheduled = rates(at: epoch)
        for (g, rate) in scheduled.enumerated() where g < optimizer.groups.count {
            try optimizer.setLearningRate(rate, group: g)
        }
        lastEpoch = epoch
    }

    /// The scheduled rate of each scheduled group at `epoch`.
    public func rates(at epoch: Int) -> [Double] {
        baseLearningRates.map { rate(at: epoch, base: $0) }
    }

    /// The scheduled rate at `epoch` of a group whose initial rate is `baseLearningRate`.
    public func rate(at epoch: Int, base baseLearningRate: Double) -> Double {
        switch schedule {
        case .exponential(let gamma):
            return baseLearningRate * pow(gamma, Double(epoch))
        case .step(let size, let gamma):
            return baseLearningRate * pow(gamma, Double(epoch / size))
        case .multiStep(let milestones, let gamma):
            return baseLearningRate * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .cosineAnnealing(let tMax, let etaMin):
            return etaMin + (baseLearningRate - etaMin) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        }
    }
}
