/// Activation functions with fused forward and backward kernels (sigmoid and tanh are in
/// Unary.swift). Gradients at the kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope.
extension Ops {
    /// max(x, 0). Int64 and bool inputs keep their type (no gradient flows through them).
    public static func relu(_ x: Tensor) throws -> Tensor {
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: "relu")
        switch x.dtype {
        case .float32: Elementwise.map(Relu<Float>.self, x, out)
        case .float64: Elementwise.map(Relu<Double>.self, x, out)
        case .int64: Elementwise.map(Relu<Int64>.self, x, out)
        case .bool: Elementwise.map(Identity<Bool>.self, x, out)  // max(False, b) = b
        }
        return try out.recording("relu", [x]) { g in
            let grad = try Tensor(shape: x.shape, dtype: g.dtype, op: "relu")
            if g.dtype == .float32 {
                Elementwise.map(ReluGradient<Float>.self, x, g, grad)
            } else {
                Elementwise.map(ReluGradient<Double>.self, x, g, grad)
            }
            return [grad]
        }
    }

    /// x for x > 0, slope·x otherwise (PyTorch's definition, also for slopes above 1).
    /// Int64 and bool inputs give float64.
    public static func leakyRelu(_ a: Tensor, slope: Double) throws -> Tensor {
        let type = a.dtype.floatResult
        let x = try cast(a, to: type)
        let s = try Tensor.scalar(slope, dtype: type)
        let out = try Tensor(shape: x.shape, dtype: type, op: "leaky_relu")
        if type == .float32 {
            Elementwise.map(LeakyRelu<Float>.self, x, s, out)
        } else {
            Elementwise.map(LeakyRelu<Double>.self, x, s, out)
        }
        return try out.recording("leaky_relu", [a]) { g in
            let grad = try Tensor(shape: x.shape, dtype: g.dtype, op: "leaky_relu")
            if g.dtype == .float32 {
                Elementwise.map(LeakyReluGradient<Float>.self, x, s, g, grad)
            } else {
                Elementwise.map(LeakyReluGradient<Double>.self, x, s, g, grad)
            }
            return [grad]
        }
    }

    /// x·σ(x) (SiLU, or swish). Int64 and bool inputs give float64.
    public static func silu(_ a: Tensor) throws -> Tensor {
        let type = a.dtype.floatResult
        let x = try cast(a, to: type)
        let out = try Tensor(shape: x.shape, dtype: type, op: "silu")
        if type == .float32 {
            Elementwise.map(Silu<Float>.self, x, out)
        } else {
            Elementwise.map(Silu<Double>.self, x, out)
        }
        return try out.recording("silu", [a]) { g in
            let grad = try Tensor(shape: x.shape, dtype: g.dtype, op: "silu")
            if g.dtype == .float32 {
                Elementwise.map(SiluGradient<Float>.self, x, g, grad)
            } else {
                Elementwise.map(SiluGradient<Double>.self, x, g, grad)
            }
            return [grad]
        }
    }
}

// MARK: Kernels

/// x, unchanged
enum Identity<T>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { x }
}

/// max(x, 0); NaN stays NaN
enum Relu<T: ArithmeticElement & ExpressibleByIntegerLiteral>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { x < 0 ? 0 : x }
}

/// d·[x > 0]
enum ReluGradient<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ x: T, _ d: T) -> T { x > 0 ? d : 0 }
}

/// x if x > 0, else slope·x
enum LeakyRelu<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ x: T, _ slope: T) -> T { x > 0 ? x : slope * x }
}

/// d if x > 0, else slope·d
enum LeakyReluGradient<T: FloatElement>: TernaryKernel {
    @inline(__always) static func apply(_ x: T, _ slope: T, _ d: T) -> T { x > 0 ? d : slope * d }
}

/// x·σ(x)
enum Silu<T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { x * T.sigmoid(x) }
}

/// d·σ(x)·(1 + x·(1 - σ(x)))
enum SiluGradient<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ x: T, _ d: T) -> T {
        let s = T.sigmoid(x)
        return d * s * (1 + x * (1 - s))
    }
}
