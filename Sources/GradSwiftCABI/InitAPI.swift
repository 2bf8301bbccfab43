import CHandles
import GradSwift

// Parameter initialisers (torch.nn.init), filling a float tensor in place from the engine
// generator (gs_manual_seed makes them reproducible). Fans are counted as PyDyNet does:
// fan_in = dim 0 x receptive field, fan_out = dim 1 x receptive field.

/// Non-linearity codes of gs_init_gain and the Kaiming initialisers.
@c public enum gs_nonlinearity: Int32 {
    /// Identity.
    case linear = 0
    /// 1-D convolution (gain 1).
    case conv1d = 1
    /// 2-D convolution (gain 1).
    case conv2d = 2
    /// Logistic sigmoid.
    case sigmoid = 3
    /// Hyperbolic tangent (gain 5/3).
    case tanh = 4
    /// ReLU (gain sqrt 2).
    case relu = 5
    /// Leaky ReLU (gain sqrt(2 / (1 + slope^2))).
    case leakyRelu = 6
}

/// Fan mode codes of the Kaiming initialisers.
@c public enum gs_fan_mode: Int32 {
    /// Scale by the input fan.
    case fanIn = 0
    /// Scale by the output fan.
    case fanOut = 1
}

private func nonlinearity(_ code: Int32, _ op: String) throws -> Init.Nonlinearity {
    guard let n = Init.Nonlinearity(rawValue: code) else {
        throw CallError.invalid("\(op): unknown nonlinearity code \(code) (0...6)")
    }
    return n
}

private func fanMode(_ code: Int32, _ op: String) throws -> Init.FanMode {
    guard let m = Init.FanMode(rawValue: code) else {
        throw CallError.invalid("\(op): unknown fan mode code \(code) (0 fan_in, 1 fan_out)")
    }
    return m
}

/// Writes the recommended gain of `nonlinearity` (a gs_nonlinearity code); `slope` is leaky
/// ReLU's negative slope (NaN for the default 0.01).
@c(gs_init_gain)
public func gsInitGain(_ nonlinearity: Int32, _ slope: Double, _ result: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("gs_init_gain") {
        let op = "gs_init_gain"
        let n = try GradSwiftCABI.nonlinearity(nonlinearity, op)
        guard let result else { throw CallError.null(op, "result") }
        result.pointee = Init.gain(n, slope: slope.isNaN ? nil : slope)
    }
}

/// Fills `tensor` with samples of U(low, high).
@c(gs_init_uniform)
public func gsInitUniform(_ tensor: gs_tensor, _ low: Double, _ high: Double) -> Int32 {
    guarded("gs_init_uniform") { try Init.uniform(try GradSwiftCABI.tensor(tensor, "gs_init_uniform"), low: low, high: high) }
}

/// Fills `tensor` with samples of N(mean, std^2).
@c(gs_init_normal)
public func gsInitNormal(_ tensor: gs_tensor, _ mean: Double, _ std: Double) -> Int32 {
    guarded("gs_init_normal") { try Init.normal(try GradSwiftCABI.tensor(tensor, "gs_init_normal"), mean: mean, std: std) }
}

/// Sets every element of `tensor` to `value` (converted to its dtype).
@c(gs_init_constant)
public func gsInitConstant(_ tensor: gs_tensor, _ value: Double) -> Int32 {
    guarded("gs_init_constant") { Init.constant(try GradSwiftCABI.tensor(tensor, "gs_init_constant"), value) }
}

/// Glorot uniform fill: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). Rank >= 2.
@c(gs_init_xavier_uniform)
public func gsInitXavierUniform(_ tensor: gs_tensor, _ gain: Double) -> Int32 {
    guarded("gs_init_xavier_uniform") { try Init.xavierUniform(try GradSwiftCABI.tensor(tensor, "gs_init_xavier_uniform"), gain: gain) }
}

/// Glorot normal fill: N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)). Rank >= 2.
@c(gs_init_xavier_normal)
public func gsInitXavierNormal(_ tensor: gs_tensor, _ gain: Double) -> Int32 {
    guarded("gs_init_xavier_normal") { try Init.xavierNormal(try GradSwiftCABI.tensor(tensor, "gs_init_xavier_normal"), gain: gain) }
}

/// He uniform fill: U(-b, b), b = gain(nonlinearity, a) * sqrt(3 / fan), `mode` a gs_fan_mode.
@c(gs_init_kaiming_uniform)
public func gsInitKaimingUniform(_ tensor: gs_tensor, _ a: Double, _ mode: Int32, _ nonlinearity: Int32) -> Int32 {
    guarded("gs_init_kaiming_uniform") {
        let op = "gs_init_kaiming_uniform"
        try Init.kaimingUniform(try GradSwiftCABI.tensor(tensor, op), a: a, mode: try fanMode(mode, op),
                                nonlinearity: try GradSwiftCABI.nonlinearity(nonlinearity, op))
    }
}

/// He normal fill: N(0, s^2), s = gain(nonlinearity, a) / sqrt(fan), `mode` a gs_fan_mode.
@c(gs_init_kaiming_normal)
public func gsInitKaimingNormal(_ tensor: gs_tensor, _ a: Double, _ mode: Int32, _ nonlinearity: Int32) -> Int32 {
    guarded("gs_init_kaiming_normal") {
        let op = "gs_init_kaiming_normal"
        try Init.kaimingNormal(try GradSwiftCABI.tensor(tensor, op), a: a, mode: try fanMode(mode, op),
                               nonlinearity: try GradSwiftCABI.nonlinearity(nonlinearity, op))
    }
}
