/// The namespace of every differentiable op. Each op family lives in its own file, with each
/// op's forward computation and its backward rule side by side.
public enum Ops {}

extension Ops {
    /// `a` converted to `dtype` (a new tensor; `a` itself when the type already matches and
    /// `copy` is false). Float-to-float casts are differentiable; the gradient is cast back.
    public static func cast(_ a: Tensor, to dtype: DType, copy: Bool = false) throws -> Tensor {
        if a.dtype == dtype && !copy { return a }
        let out = try Tensor(shape: a.shape, dtype: dtype, op: "astype")
        switch (a.dtype, dtype) {
        case (.float32, .float32): Elementwise.convert(a, out) { (x: Float) in x }
        case (.float32, .float64): Elementwise.convert(a, out) { (x: Float) in Double(x) }
        case (.float32, .int64): Elementwise.convert(a, out) { (x: Float) in Int64(saturating: Double(x)) }
        case (.float32, .bool): Elementwise.convert(a, out) { (x: Float) in x != 0 }
        case (.float64, .float32): Elementwise.convert(a, out) { (x: Double) in Float(x) }
        case (.float64, .float64): Elementwise.convert(a, out) { (x: Double) in x }
        case (.float64, .int64): Elementwise.convert(a, out) { (x: Double) in Int64(saturating: x) }
        case (.float64, .bool): Elementwise.convert(a, out) { (x: Double) in x != 0 }
        case (.int64, .float32): Elementwise.convert(a, out) { (x: Int64) in Float(x) }
        case (.int64, .float64): Elementwise.convert(a, out) { (x: Int64) in Double(x) }
        case (.int64, .int64): Elementwise.convert(a, out) { (x: Int64) in x }
        case (.int64, .bool): Elementwise.convert(a, out) { (x: Int64) in x != 0 }
        case (.bool, .float32): Elementwise.convert(a, out) { (x: Bool) -> Float in x ? 1 : 0 }
        case (.bool, .float64): Elementwise.convert(a, out) { (x: Bool) -> Double in x ? 1 : 0 }
        case (.bool, .int64): Elementwise.convert(a, out) { (x: Bool) -> Int64 in x ? 1 : 0 }
        case (.bool, .bool): Elementwise.convert(a, out) { (x: Bool) in x }
        }
        let source = a.dtype
        return try out.recording("astype", [a]) { g in [try cast(g, to: source)] }
    }
}

extension Ops {
    /// The operands of a fused layer op (input, weights, biases, states; nil where absent) cast
    /// to their common float dtype: float64 when any is float64, as PyDyNet's NumPy arithmetic
    /// promotes a float32 batch fed to a float64 layer. The casts are recorded, so each
    /// operand's gradient keeps its own dtype. Fails, naming `op` and the operand, when one is
    /// not a float tensor.
    static func promotedToCommonFloat(_ op: String, _ operands: [(name: String, tensor: Tensor?)]) throws -> [Tensor?] {
        for (name, t) in operands {
            guard let t, !t.dtype.isFloatingPoint else { continue }
            throw EngineError.dtype("\(op): \(name) must be float32 or float64, got \(t.dtype.name)")
        }
        let common: DType = operands.contains { $0.tensor?.dtype == .float64 } ? .float64 : .float32
        return try operands.map { try $0.tensor.map { try cast($0, to: common) } }
    }
}
