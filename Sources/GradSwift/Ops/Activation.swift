/// Activation functions (sigmoid and tanh are in Unary.swift), declared once each (see
/// ElementwiseFunctions.swift). Gradients at the kinks follow PyTorch: relu'(0) = 0,
/// leaky_relu'(0) = slope.
extension Ops {
    /// max(x, 0). Int64 and bool inputs keep their type (no gradient flows through them).
    public static func relu(_ x: Tensor) throws -> Tensor { try apply(Rectifier.self, x) }

    /// x·σ(x) (SiLU, or swish). Int64 and bool inputs give float64.
    public static func silu(_ x: Tensor) throws -> Tensor { try apply(SigmoidWeightedLinear.self, x) }

    /// g where x > 0, else 0: relu's backward (PyTorch's `threshold_backward`).
    static func thresholdBackward(_ g: Tensor, _ x: Tensor) throws -> Tensor { try apply(ThresholdBackward.self, g, x) }

    /// g·σ(x)·(1 + x·(1 - σ(x))): silu's backward.
    static func siluBackward(_ g: Tensor, _ x: Tensor) throws -> Tensor { try apply(SiluBackward.self, g, x) }

    /// x for x > 0, slope·x otherwise (PyTorch's definition, also for slopes above 1).
    /// Int64 and bool inputs give float64.
    public static func leakyRelu(_ a: Tensor, slope: Double) throws -> Tensor {
        let op = "leaky_relu"
        let x = try cast(a, to: a.dtype.floatResult)
        let s = try Tensor.scalar(slope, dtype: x.dtype)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: op)
        func run<T: FloatElement>(_: T.Type) { Elementwise.map(LeakyRelu<T>.self, x, s, out) }
        try x.dtype.dispatchFloat(op, run, run)
        return try out.recording(op, [a]) { g in
            [try Ops.where(Ops.gt(x, Tensor.scalar(0, dtype: x.dtype)), g, g * slope)]
        }
    }
}

extension OpTable {
    /// The elementwise activations and their fused backward ops.
    static let activations: [Entry] = [
        Entry(Rectifier.self), Entry(SigmoidWeightedLinear.self), Entry(ThresholdBackward.self), Entry(SiluBackward.self),
    ]
}

/// max(x, 0); NaN stays NaN
enum Rectifier: NumericFunction {
    static let name = "relu"
    static let keepsBool = true
    @inline(__always) static func value<T: ArithmeticElement>(_ x: T) -> T { x < 0 ? 0 : x }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.thresholdBackward(g, x) }
}

/// x·σ(x)
enum SigmoidWeightedLinear: FloatFunction {
    static let name = "silu"
    @inline(__always) static func value<T: FloatElement>(_ x: T) -> T { x * T.sigmoid(x) }
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor { try Ops.siluBackward(g, x) }
}

/// g·[x > 0]; linear in g, flat in x
enum ThresholdBackward: FloatBinaryFunction {
    static let name = "threshold_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ x: T) -> T { x > 0 ? g : 0 }
    static func backward(a g: Tensor, b x: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        (needs.0 ? try Ops.thresholdBackward(gg, x) : nil, nil)
    }
}

/// g·σ(x)·(1 + x·(1 - σ(x))); d/dx = g·σ(1 - σ)·(2 + x·(1 - 2σ))
enum SiluBackward: FloatBinaryFunction {
    static let name = "silu_backward"
    @inline(__always) static func value<T: FloatElement>(_ g: T, _ x: T) -> T {
        let s = T.sigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
    static func backward(a g: Tensor, b x: Tensor, output _: Tensor, gradient gg: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?) {
        var dx: Tensor?
        if needs.1 {
            let s = try Ops.sigmoid(x)
            dx = try gg * g * s * (1 - s) * (2 + x * (1 - s * 2))
        }
        return (needs.0 ? try Ops.siluBackward(gg, x) : nil, dx)
    }
}

/// x if x > 0, else slope·x
enum LeakyRelu<T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ x: T, _ slope: T) -> T { x > 0 ? x : slope * x }
}
