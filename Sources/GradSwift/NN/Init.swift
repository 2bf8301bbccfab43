/// Parameter initialisers (PyTorch's `torch.nn.init`), drawing from the engine generator so
/// `RandomGenerator.shared.seed` makes them reproducible. Each fills its tensor in place.
public enum Init {
    /// The non-linearities `gain` knows.
    public enum Nonlinearity: Int32, Sendable {
        case linear = 0, conv1d, conv2d, sigmoid, tanh, relu, leakyRelu

        /// The name PyTorch uses (`"leaky_relu"`).
        public var name: String {
            switch self {
            case .linear: return "linear"
            case .conv1d: return "conv1d"
            case .conv2d: return "conv2d"
            case .sigmoid: return "sigmoid"
            case .tanh: return "tanh"
            case .relu: return "relu"
            case .leakyRelu: return "leaky_relu"
            }
        }
    }

    /// Whether fans are counted on the input or the output side.
    public enum FanMode: Int32, Sendable {
        case fanIn = 0, fanOut
    }

    /// The recommended gain for `nonlinearity`; `slope` is leaky_relu's negative slope
    /// (0.01 when nil).
    public static func gain(_ nonlinearity: Nonlinearity, slope: Double? = nil) -> Double {
        switch nonlinearity {
        case .linear, .conv1d, .conv2d, .sigmoid: return 1
        case .tanh: return 5.0 / 3
        case .relu: return 2.0.squareRoot()
        case .leakyRelu:
            let s = slope ?? 0.01
            return (2 / (1 + s * s)).squareRoot()
        }
    }

    /// (fan_in, fan_out) as PyDyNet counts them: dims 0 and 1 times the receptive field
    /// (dims 2...). That suits its (in, out) Linear weights; for (out, in, k) convolution
    /// weights it swaps the two, and the layers' default initialisation keeps that, as PyDyNet does.
    public static func fans(_ t: Tensor) throws -> (fanIn: Int, fanOut: Int) {
        guard t.rank >= 2 else {
            throw EngineError.invalidArgument("init: fan in and fan out need a tensor of rank >= 2, got \(describe(t.shape))")
        }
        let field = t.shape.dropFirst(2).reduce(1, *)
        return (t.shape[0] * field, t.shape[1] * field)
    }

    /// Fills `t` with U(low, high).
    public static func uniform(_ t: Tensor, low: Double = 0, high: Double = 1) throws {
        try t.fillUniform(low: low, high: high)
    }

    /// Fills `t` with N(mean, std²).
    public static func normal(_ t: Tensor, mean: Double = 0, std: Double = 1) throws {
        try t.fillNormal(mean: mean, std: std)
    }

    /// Fills `t` with `value`.
    public static func constant(_ t: Tensor, _ value: Double) {
        t.fill(value)
    }

    /// Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Double = 1) throws {
        let (fanIn, fanOut) = try fans(t)
        let bound = gain * (6 / Double(max(fanIn + fanOut, 1))).squareRoot()
        try uniform(t, low: -bound, high: bound)
    }

    /// Glorot normal: N(0, s²) with s = gain * sqrt(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Double = 1) throws {
        let (fanIn, fanOut) = try fans(t)
        try normal(t, std: gain * (2 / Double(max(fanIn + fanOut, 1))).squareRoot())
    }

    /// He uniform: U(-b, b) with b = gain(nonlinearity, a) * sqrt(3 / fan).
    public static func kaimingUniform(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity = .relu) throws {
        let fan = try chosenFan(t, mode)
        let bound = gain(nonlinearity, slope: a) * (3 / Double(fan)).squareRoot()
        try uniform(t, low: -bound, high: bound)
    }

    /// He normal: N(0, s²) with s = gain(nonlinearity, a) / sqrt(fan).
    public static func kaimingNormal(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity = .relu) throws {
        let fan = try chosenFan(t, mode)
        try normal(t, std: gain(nonlinearity, slope: a) / Double(fan).squareRoot())
    }

    /// The bias bound the layers use (as PyDyNet and PyTorch): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), or zero when the fan is 0.
    static func fanInBound(_ fanIn: Int) -> Double {
        fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
    }

    private static func chosenFan(_ t: Tensor, _ mode: FanMode) throws -> Int {
        let (fanIn, fanOut) = try fans(t)
        let fan = mode == .fanIn ? fanIn : fanOut
        guard fan > 0 else {
            throw EngineError.invalidArgument("init: cannot initialise a tensor with zero fan (shape \(describe(t.shape)))")
        }
        return fan
    }
}
