extension Ops {
    /// Fails when `a` takes part in autograd: writing into it would corrupt saved values.
    static func checkInPlace(_ a: Tensor, op: String) throws {
        if a.requiresGrad && GradMode.isEnabled {
            throw EngineError.invalidArgument("\(op): in-place operation is forbidden on a tensor that requires grad (wrap it in no_grad())")
        }
    }

    /// `target op= value` (add, sub, mul, div) in place, keeping `target`'s shape and dtype.
    public static func inPlace(_ op: BinaryOp, _ target: Tensor, _ value: Tensor) throws {
        let name = "i" + op.name
        guard [.add, .sub, .mul, .div].contains(op) else {
            throw EngineError.invalidArgument("\(name): only add, sub, mul and div have in-place forms")
        }
        try checkInPlace(target, op: name)
        let shape = try Shape.broadcast(target.shape, value.shape, op: name)
        guard shape == target.shape else {
            throw EngineError.shapeMismatch("\(name): non-broadcastable output operand with shape \(describe(target.shape)) doesn't match the broadcast shape \(describe(shape))")
        }
        let resultType = try op.resultType(target.dtype, value.dtype)
        guard target.dtype.acceptsInPlace(resultType) else {
            throw EngineError.dtype("\(name): cannot cast the \(resultType.name) result into the \(target.dtype.name) target")
        }
        let result = try GradMode.with(enabled: false) { try cast(try op(target, value), to: target.dtype) }
        target.storage.bytes.copyMemory(from: result.storage.bytes, byteCount: target.byteCount)
    }

    /// `target op= scalar` in place, the scalar promoting weakly as a Python number of `kind`.
    public static func inPlace(_ op: BinaryOp, _ target: Tensor, scalar: Double, kind: ScalarKind) throws {
        try inPlace(op, target, try Tensor.scalar(scalar, kind: kind, meeting: target))
    }

    /// `target += value` for two float tensors of the same shape and dtype (gradient accumulation).
    static func addInPlace(_ target: Tensor, _ value: Tensor) throws {
        guard target.shape == value.shape && target.dtype == value.dtype else {
            throw EngineError.shapeMismatch("accumulate: gradient \(describe(value.shape)) \(value.dtype.name) does not match \(describe(target.shape)) \(target.dtype.name)")
        }
        if try updatedInComputeType(target, value, addInPlace) { return }  // float16: summed in float32
        switch target.dtype {
        case .float32: Elementwise.map(NumericBinaryKernel<Addition, Float>.self, target, value, target)
        case .float64: Elementwise.map(NumericBinaryKernel<Addition, Double>.self, target, value, target)
        default: throw EngineError.dtype("accumulate: gradients must be floating point, got \(target.dtype.name)")
        }
    }
}
