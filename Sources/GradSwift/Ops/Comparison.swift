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
        case .eq: Elementwise.map(Equal<T>.self, x, y, out)
        case .ne: Elementwise.map(NotEqual<T>.self, x, y, out)
        case .lt: Elementwise.map(Less<T>.self, x, y, out)
        case .le: Elementwise.map(LessOrEqual<T>.self, x, y, out)
        case .gt: Elementwise.map(Greater<T>.self, x, y, out)
        default: Elementwise.map(GreaterOrEqual<T>.self, x, y, out)
        }
    }
}

// MARK: Kernels

/// a == b
enum Equal<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a == b }
}

/// a != b
enum NotEqual<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a != b }
}

/// a < b
enum Less<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a < b }
}

/// a <= b
enum LessOrEqual<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a <= b }
}

/// a > b
enum Greater<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a > b }
}

/// a >= b
enum GreaterOrEqual<T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a >= b }
}
