extension Ops {
    /// `a` where `condition` is true, `b` elsewhere (`torch.where`, `np.where`), all three
    /// broadcast together; `a` and `b` are promoted to a common dtype. The gradient flows to the
    /// operand chosen at each element.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let op = "where"
        guard condition.dtype == .bool else {
            throw EngineError.dtype("\(op): condition must be bool, got \(condition.dtype.name)")
        }
        let shape = try Shape.broadcast(condition.shape, try Shape.broadcast(a.shape, b.shape, op: op), op: op)
        let type = DType.promote(a.dtype, b.dtype)
        let x = try cast(a, to: type), y = try cast(b, to: type)
        let out = try Tensor(shape: shape, dtype: type, op: op)
        type.visit(Chooser(condition: condition, a: x, b: y, out: out))
        return try out.recording(op, [condition, a, b]) { g in
            let zero = try Tensor.scalar(0, dtype: g.dtype)
            return [nil,
                    a.requiresGrad ? try Ops.where(condition, g, zero) : nil,
                    b.requiresGrad ? try Ops.where(condition, zero, g) : nil]
        }
    }
}

/// c ? a : b
enum Choose<T>: TernaryKernel {
    @inline(__always) static func apply(_ c: Bool, _ a: T, _ b: T) -> T { c ? a : b }
}

/// The kernel of `where`, for any element type.
private struct Chooser: StorageVisitor {
    let condition: Tensor, a: Tensor, b: Tensor, out: Tensor
    func callAsFunction<T: StorageElement>(_: T.Type) { Elementwise.map(Choose<T>.self, condition, a, b, out) }
}
