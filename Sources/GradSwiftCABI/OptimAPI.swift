import CHandles
import GradSwift

// Optimizers and learning-rate schedules. An optimizer keeps references to its parameter
// tensors; the caller keeps (and releases) the handles it passed.

/// Looks up an optimizer handle.
func optimizer(_ handle: gs_optimizer, _ op: String) throws -> Optimizer {
    try Handles.shared.lookup(handle, op, "optimizer")
}

/// Looks up a scheduler handle.
func scheduler(_ handle: gs_scheduler, _ op: String) throws -> LRScheduler {
    try Handles.shared.lookup(handle, op, "scheduler")
}

/// Builds an optimizer over the `count` tensors at `params` with `rule` and stores its handle.
private func makeOptimizer(_ op: String, _ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double,
                           _ result: UnsafeMutablePointer<gs_optimizer>?, _ rule: () throws -> UpdateRule) -> Int32 {
    producing(op, result) {
        let tensors = try readHandles(params, count, op, "params").map { try tensor($0, op, "parameter") }
        return try Optimizer(try rule(), parameters: tensors, learningRate: lr)
    }
}

/// Stores a new scheduler's handle.
private func makeScheduler(_ op: String, _ optimizer: gs_optimizer, _ lastEpoch: Int64, _ result: UnsafeMutablePointer<gs_scheduler>?,
                           _ schedule: () throws -> LRScheduler.Schedule) -> Int32 {
    producing(op, result) {
        try LRScheduler(try schedule(), optimizer: try GradSwiftCABI.optimizer(optimizer, op), lastEpoch: Int(lastEpoch))
    }
}

/// SGD over `count` parameters: momentum buffer `b = momentum*b + g`, step `lr*b` (Nesterov:
/// `lr*(g + momentum*b)`), `g` including `weight_decay*p`. The caller owns `*result`.
@c(gs_sgd_new)
public func gsSgdNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ momentum: Double,
                     _ weightDecay: Double, _ nesterov: Bool, _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_sgd_new", params, count, lr, result) {
        try SGD(momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
    }
}

/// Adam over `count` parameters (PyDyNet's formula: bias corrections folded into the step
/// size, `eps` added to sqrt(v)). The caller owns `*result`.
@c(gs_adam_new)
public func gsAdamNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ beta1: Double, _ beta2: Double,
                      _ eps: Double, _ weightDecay: Double, _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_adam_new", params, count, lr, result) {
        try Adam(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
    }
}

/// Adagrad over `count` parameters: `G += g^2`, `p -= lr*g/sqrt(G + eps)`. The caller owns `*result`.
@c(gs_adagrad_new)
public func gsAdagradNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ weightDecay: Double,
                         _ eps: Double, _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_adagrad_new", params, count, lr, result) { try Adagrad(weightDecay: weightDecay, eps: eps) }
}

/// Adadelta (Zeiler; PyTorch's form) over `count` parameters. The caller owns `*result`.
@c(gs_adadelta_new)
public func gsAdadeltaNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ rho: Double,
                          _ weightDecay: Double, _ eps: Double, _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_adadelta_new", params, count, lr, result) {
        try Adadelta(rho: rho, weightDecay: weightDecay, eps: eps)
    }
}

/// AdamW over `count` parameters (PyTorch's form, decoupled weight decay; `amsgrad` and
/// `maximize` as in PyTorch). The caller owns `*result`.
@c(gs_adamw_new)
public func gsAdamwNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ beta1: Double, _ beta2: Double,
                       _ eps: Double, _ weightDecay: Double, _ amsgrad: Bool, _ maximize: Bool,
                       _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_adamw_new", params, count, lr, result) {
        try AdamW(options: [beta1, beta2, eps, weightDecay, amsgrad ? 1 : 0, maximize ? 1 : 0])
    }
}

/// RMSprop over `count` parameters (PyTorch's form, optional momentum and centering). The
/// caller owns `*result`.
@c(gs_rmsprop_new)
public func gsRmspropNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ alpha: Double, _ eps: Double,
                         _ weightDecay: Double, _ momentum: Double, _ centered: Bool, _ maximize: Bool,
                         _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_rmsprop_new", params, count, lr, result) {
        try RMSprop(options: [alpha, eps, weightDecay, momentum, centered ? 1 : 0, maximize ? 1 : 0])
    }
}

/// Adamax over `count` parameters (PyTorch's form). The caller owns `*result`.
@c(gs_adamax_new)
public func gsAdamaxNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ beta1: Double, _ beta2: Double,
                        _ eps: Double, _ weightDecay: Double, _ maximize: Bool,
                        _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_adamax_new", params, count, lr, result) {
        try Adamax(options: [beta1, beta2, eps, weightDecay, maximize ? 1 : 0])
    }
}

/// NAdam over `count` parameters (PyTorch's form with its momentum schedule `momentum_decay`).
/// The caller owns `*result`.
@c(gs_nadam_new)
public func gsNadamNew(_ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double, _ beta1: Double, _ beta2: Double,
                       _ eps: Double, _ weightDecay: Double, _ momentumDecay: Double, _ maximize: Bool,
                       _ result: UnsafeMutablePointer<gs_optimizer>?) -> Int32 {
    makeOptimizer("gs_nadam_new", params, count, lr, result) {
        try NAdam(options: [beta1, beta2, eps, weightDecay, momentumDecay, maximize ? 1 : 0])
    }
}

/// Reads `count` doubles from `pointer` (checking the pointer and count).
private func readDoubles(_ pointer: UnsafePointer<Double>?, _ count: Int32, _ op: String, _ name: String) throws -> [Double] {
    guard count >= 0 && count <= 64 else { throw CallError.invalid("\(op): \(name) count \(count) is outside 0...64") }
    if count == 0 { return [] }
    guard let pointer else { throw CallError.null(op, name) }
    return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
}

/// Checks a group index of `o`.
private func groupIndex(_ o: Optimizer, _ group: Int64, _ op: String) throws -> Int {
    guard group >= 0 && group < Int64(o.groups.count) else {
        throw CallError(status: .indexError, message: "\(op): group \(group) is out of range for \(o.groups.count) groups")
    }
    return Int(group)
}

/// Writes the number of parameter groups.
@c(gs_optim_group_count)
public func gsOptimGroupCount(_ optimizer: gs_optimizer, _ result: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_group_count") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_group_count")
        guard let result else { throw CallError.null("gs_optim_group_count", "result") }
        result.pointee = Int64(o.groups.count)
    }
}

/// Writes the number of settings of the optimizer's algorithm (the length of an options array).
@c(gs_optim_option_count)
public func gsOptimOptionCount(_ optimizer: gs_optimizer, _ result: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_option_count") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_option_count")
        guard let result else { throw CallError.null("gs_optim_option_count", "result") }
        result.pointee = Int64(o.rule.optionNames.count)
    }
}

/// Copies the name of setting `index` (`"momentum"`, `"beta1"`, `"maximize"`...; flags are 0 or
/// 1) into `buffer`, snprintf-style; `*length` gets the full length.
@c(gs_optim_option_name)
public func gsOptimOptionName(_ optimizer: gs_optimizer, _ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
                              _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_option_name") {
        let op = "gs_optim_option_name"
        let names = try GradSwiftCABI.optimizer(optimizer, op).rule.optionNames
        try writeName(names, index, "options", buffer, capacity, length, op)
    }
}

/// Writes the settings of `group` to `options[0..<n]`, `n` the option count (`capacity` >= n).
@c(gs_optim_group_options)
public func gsOptimGroupOptions(_ optimizer: gs_optimizer, _ group: Int64, _ options: UnsafeMutablePointer<Double>?,
                                _ capacity: Int32) -> Int32 {
    guarded("gs_optim_group_options") {
        let op = "gs_optim_group_options"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        let values = o.groups[try groupIndex(o, group, op)].rule.options
        guard capacity >= values.count else {
            throw CallError.invalid("\(op): capacity \(capacity) is below the \(values.count) options")
        }
        guard let options else { throw CallError.null(op, "options") }
        for (i, v) in values.enumerated() { options[i] = v }
    }
}

/// Replaces the settings of `group` (`count` values in option-name order, checked as the
/// constructor checks them). State buffers the new settings add start at zero.
@c(gs_optim_set_group_options)
public func gsOptimSetGroupOptions(_ optimizer: gs_optimizer, _ group: Int64, _ options: UnsafePointer<Double>?,
                                   _ count: Int32) -> Int32 {
    guarded("gs_optim_set_group_options") {
        let op = "gs_optim_set_group_options"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        let g = try groupIndex(o, group, op)
        try o.setOptions(try readDoubles(options, count, op, "options"), group: g)
    }
}

/// Adds a parameter group: `count` tensors (none already in the optimizer), its learning rate
/// and `option_count` settings in option-name order.
@c(gs_optim_add_group)
public func gsOptimAddGroup(_ optimizer: gs_optimizer, _ params: UnsafePointer<gs_tensor>?, _ count: Int32, _ lr: Double,
                            _ options: UnsafePointer<Double>?, _ optionCount: Int32) -> Int32 {
    guarded("gs_optim_add_group") {
        let op = "gs_optim_add_group"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        let tensors = try readHandles(params, count, op, "params").map { try tensor($0, op, "parameter") }
        let rule = try o.rule.with(options: try readDoubles(options, optionCount, op, "options"))
        try o.addGroup(rule, parameters: tensors, learningRate: lr)
    }
}

/// Writes the learning rate of `group`.
@c(gs_optim_group_lr)
public func gsOptimGroupLr(_ optimizer: gs_optimizer, _ group: Int64, _ result: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("gs_optim_group_lr") {
        let op = "gs_optim_group_lr"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        let g = try groupIndex(o, group, op)
        guard let result else { throw CallError.null(op, "result") }
        result.pointee = o.groups[g].learningRate
    }
}

/// Sets the learning rate of `group` (finite, >= 0).
@c(gs_optim_set_group_lr)
public func gsOptimSetGroupLr(_ optimizer: gs_optimizer, _ group: Int64, _ lr: Double) -> Int32 {
    guarded("gs_optim_set_group_lr") {
        let op = "gs_optim_set_group_lr"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        try o.setLearningRate(lr, group: try groupIndex(o, group, op))
    }
}

/// Updates every parameter that has a gradient (one call for all of them).
@c(gs_optim_step)
public func gsOptimStep(_ optimizer: gs_optimizer) -> Int32 {
    guarded("gs_optim_step") { try GradSwiftCABI.optimizer(optimizer, "gs_optim_step").step() }
}

/// Zeroes the gradients of all the optimizer's parameters.
@c(gs_optim_zero_grad)
public func gsOptimZeroGrad(_ optimizer: gs_optimizer) -> Int32 {
    guarded("gs_optim_zero_grad") { try GradSwiftCABI.optimizer(optimizer, "gs_optim_zero_grad").zeroGrad() }
}

/// Writes the learning rate the next step will use (the first group's).
@c(gs_optim_lr)
public func gsOptimLr(_ optimizer: gs_optimizer, _ result: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("gs_optim_lr") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_lr")
        guard let result else { throw CallError.null("gs_optim_lr", "result") }
        result.pointee = o.learningRate
    }
}

/// Sets the learning rate of every group (finite, >= 0).
@c(gs_optim_set_lr)
public func gsOptimSetLr(_ optimizer: gs_optimizer, _ lr: Double) -> Int32 {
    guarded("gs_optim_set_lr") { try GradSwiftCABI.optimizer(optimizer, "gs_optim_set_lr").setLearningRate(lr) }
}

/// Writes how many steps were taken.
@c(gs_optim_step_count)
public func gsOptimStepCount(_ optimizer: gs_optimizer, _ result: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_step_count") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_step_count")
        guard let result else { throw CallError.null("gs_optim_step_count", "result") }
        result.pointee = Int64(o.stepCount)
    }
}

/// Sets the step count (>= 0), when restoring a checkpoint (Adam's bias correction uses it).
@c(gs_optim_set_step_count)
public func gsOptimSetStepCount(_ optimizer: gs_optimizer, _ count: Int64) -> Int32 {
    guarded("gs_optim_set_step_count") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_set_step_count")
        guard count >= 0 else { throw CallError.invalid("gs_optim_set_step_count: count \(count) is negative") }
        o.stepCount = Int(count)
    }
}

/// Writes the number of state buffers (over all parameters).
@c(gs_optim_state_count)
public func gsOptimStateCount(_ optimizer: gs_optimizer, _ count: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_state_count") {
        let o = try GradSwiftCABI.optimizer(optimizer, "gs_optim_state_count")
        guard let count else { throw CallError.null("gs_optim_state_count", "count") }
        count.pointee = Int64(o.namedBuffers.count)
    }
}

/// Copies the name of state buffer `index` (`"<parameter index>.<buffer>"`, e.g. `"0.m"`)
/// into `buffer`, snprintf-style; `*length` gets the full length.
@c(gs_optim_state_name)
public func gsOptimStateName(_ optimizer: gs_optimizer, _ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
                             _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_optim_state_name") {
        let op = "gs_optim_state_name"
        let names = try GradSwiftCABI.optimizer(optimizer, op).namedBuffers.map(\.name)
        try writeName(names, index, "state buffers", buffer, capacity, length, op)
    }
}

/// A new handle to the state buffer called `name`, sharing the optimizer's memory (write its
/// data to restore a checkpoint). The caller owns `*result`.
@c(gs_optim_state)
public func gsOptimState(_ optimizer: gs_optimizer, _ name: UnsafePointer<CChar>?, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_optim_state", result) {
        let op = "gs_optim_state"
        let o = try GradSwiftCABI.optimizer(optimizer, op)
        let key = try readString(name, op, "name")
        guard let found = o.namedBuffers.first(where: { $0.name == key }) else {
            throw CallError.invalid("\(op): \(o.kind) has no state buffer '\(key)'")
        }
        return found.tensor
    }
}

/// Releases an optimizer handle.
@c(gs_optim_release)
public func gsOptimRelease(_ optimizer: gs_optimizer) -> Int32 {
    guarded("gs_optim_release") {
        try Handles.shared.release(optimizer, "gs_optim_release", "optimizer")
    }
}

/// ExponentialLR: rate `base * gamma^epoch`. Takes the first step (to `last_epoch + 1`; pass
/// -1 to start). The caller owns `*result`.
@c(gs_exponential_lr_new)
public func gsExponentialLrNew(_ optimizer: gs_optimizer, _ gamma: Double, _ lastEpoch: Int64,
                               _ result: UnsafeMutablePointer<gs_scheduler>?) -> Int32 {
    makeScheduler("gs_exponential_lr_new", optimizer, lastEpoch, result) { .exponential(gamma: gamma) }
}

/// StepLR: rate `base * gamma^(epoch / step_size)`. The caller owns `*result`.
@c(gs_step_lr_new)
public func gsStepLrNew(_ optimizer: gs_optimizer, _ stepSize: Int64, _ gamma: Double, _ lastEpoch: Int64,
                        _ result: UnsafeMutablePointer<gs_scheduler>?) -> Int32 {
    makeScheduler("gs_step_lr_new", optimizer, lastEpoch, result) {
        .step(stepSize: Int(stepSize), gamma: gamma)
    }
}

/// MultiStepLR: rate `base * gamma^(number of milestones <= epoch)`, `milestones` increasing.
/// The caller owns `*result`.
@c(gs_multistep_lr_new)
public func gsMultistepLrNew(_ optimizer: gs_optimizer, _ milestones: UnsafePointer<Int64>?, _ count: Int32, _ gamma: Double,
                             _ lastEpoch: Int64, _ result: UnsafeMutablePointer<gs_scheduler>?) -> Int32 {
    makeScheduler("gs_multistep_lr_new", optimizer, lastEpoch, result) {
        .multiStep(milestones: try readInts(milestones, count, "gs_multistep_lr_new", "milestones", limit: 1 << 20), gamma: gamma)
    }
}

/// CosineAnnealingLR: rate `eta_min + (base - eta_min) * (1 + cos(pi * epoch / t_max)) / 2`.
/// The caller owns `*result`.
@c(gs_cosine_annealing_lr_new)
public func gsCosineAnnealingLrNew(_ optimizer: gs_optimizer, _ tMax: Int64, _ etaMin: Double, _ lastEpoch: Int64,
                                   _ result: UnsafeMutablePointer<gs_scheduler>?) -> Int32 {
    makeScheduler("gs_cosine_annealing_lr_new", optimizer, lastEpoch, result) {
        .cosineAnnealing(tMax: Int(tMax), etaMin: etaMin)
    }
}

/// Advances the schedule one epoch and sets the optimizer's rate.
@c(gs_scheduler_step)
public func gsSchedulerStep(_ scheduler: gs_scheduler) -> Int32 {
    guarded("gs_scheduler_step") { try GradSwiftCABI.scheduler(scheduler, "gs_scheduler_step").step() }
}

/// Writes the schedule's current epoch (0 after construction).
@c(gs_scheduler_last_epoch)
public func gsSchedulerLastEpoch(_ scheduler: gs_scheduler, _ result: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("gs_scheduler_last_epoch") {
        let s = try GradSwiftCABI.scheduler(scheduler, "gs_scheduler_last_epoch")
        guard let result else { throw CallError.null("gs_scheduler_last_epoch", "result") }
        result.pointee = Int64(s.lastEpoch)
    }
}

/// Writes the first group's scheduled rate at `epoch` (without changing anything).
@c(gs_scheduler_rate)
public func gsSchedulerRate(_ scheduler: gs_scheduler, _ epoch: Int64, _ result: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("gs_scheduler_rate") {
        let s = try GradSwiftCABI.scheduler(scheduler, "gs_scheduler_rate")
        guard let result else { throw CallError.null("gs_scheduler_rate", "result") }
        guard epoch >= 0 else { throw CallError.invalid("gs_scheduler_rate: epoch \(epoch) is negative") }
        result.pointee = s.rates(at: Int(epoch))[0]
    }
}

/// Writes the scheduled rate of `group` at `epoch` (without changing anything).
@c(gs_scheduler_group_rate)
public func gsSchedulerGroupRate(_ scheduler: gs_scheduler, _ group: Int64, _ epoch: Int64,
                                 _ result: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("gs_scheduler_group_rate") {
        let op = "gs_scheduler_group_rate"
        let s = try GradSwiftCABI.scheduler(scheduler, op)
        guard let result else { throw CallError.null(op, "result") }
        guard epoch >= 0 else { throw CallError.invalid("\(op): epoch \(epoch) is negative") }
        guard group >= 0 && group < Int64(s.baseLearningRates.count) else {
            throw CallError(status: .indexError, message: "\(op): group \(group) is out of range for \(s.baseLearningRates.count) scheduled groups")
        }
        result.pointee = s.rate(at: Int(epoch), base: s.baseLearningRates[Int(group)])
    }
}

/// Moves the schedule to `epoch` (>= 0) and sets each group's rate (PyTorch's `step(epoch)`).
@c(gs_scheduler_jump)
public func gsSchedulerJump(_ scheduler: gs_scheduler, _ epoch: Int64) -> Int32 {
    guarded("gs_scheduler_jump") {
        let s = try GradSwiftCABI.scheduler(scheduler, "gs_scheduler_jump")
        guard epoch >= 0 else { throw CallError.invalid("gs_scheduler_jump: epoch \(epoch) is negative") }
        try s.jump(to: Int(epoch))
    }
}

/// Releases a scheduler handle.
@c(gs_scheduler_release)
public func gsSchedulerRelease(_ scheduler: gs_scheduler) -> Int32 {
    guarded("gs_scheduler_release") {
        try Handles.shared.release(scheduler, "gs_scheduler_release", "scheduler")
    }
}
