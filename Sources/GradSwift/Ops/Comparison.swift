extension Ops {
    /// Elementwise comparison with broadcasting; gives a bool tensor and no gradient.
    static func compare(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: op.name)
        var type = DType.promote(a.dtype, b.dtype)
        if type == .bool { type = .int64 }
        let x = try cast(a, to: type), y = try cast(b, to: type)
        let out = try Tensor(shape: shape, dtype: .bool, op: op.name)
        switch type {
        case .float32: compareLoop(op, x, y, out, Float.self)
        case .float64: compareLoop(op, x, y, out, Double.self)
        default: compareLoop(op, x, y, out, Int64.self)
        }
        return out
    }

    private static func compareLoop<T: Comparable>(_ op: BinaryOp, _ x: Tensor, _ y: Tensor, _ out: Tensor, _: T.Type) {
        switch op {
        case .eq: Elementwise.map(x, y, out) { (a: T, b: T) in a == b }
        case .ne: Elementwise.map(x, y, out) { (a: T, b: T) in a != b }
        case .lt: Elementwise.map(x, y, out) { (a: T, b: T) in a < b }
        case .le: Elementwise.map(x, y, out) { (a: T, b: T) in a <= b }
        case .gt: Elementwise.map(x, y, out) { (a: T, b: T) in a > b }
        default: Elementwise.map(x, y, out) { (a: T, b: T) in a >= b }
        }
    }
}
