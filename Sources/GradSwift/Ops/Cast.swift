/// The namespace of every differentiable op. Each op family lives in its own file, with each
/// op's forward computation and its backward rule side by side.
public enum Ops {}

extension Ops {
    /// `a` converted to `dtype` (a new tensor; `a` itself when the type already matches and
    /// `copy` is false). Float-to-float casts are differentiable; the gradient is cast back.
    public static func cast(_ a: Tensor, to dtype: DType, copy: Bool = false) throws -> Tensor {
        if a.dtype == dtype && !copy { return a }
        let out = try Tensor(shape: a.shape, dtype: dtype, op: "astype")
        a.dtype.visit(CastFrom(source: a, out: out))
        let source = a.dtype
        return try out.recording("astype", [a]) { g in [try cast(g, to: source)] }
    }
}

/// The cast kernel, for a source element type: visits the target's.
private struct CastFrom: StorageVisitor {
    let source: Tensor, out: Tensor
    func callAsFunction<S: StorageElement>(_: S.Type) {
        out.dtype.visit(CastTo<S>(source: source, out: out))
    }
}

/// The cast kernel, for a source and a target element type.
private struct CastTo<S: StorageElement>: StorageVisitor {
    let source: Tensor, out: Tensor
    func callAsFunction<D: StorageElement>(_: D.Type) {
        Elementwise.convert(source, out) { (x: S) in D(converting: x) }
    }
}

extension Ops {
    /// The operands of a fused layer op (input, weights, biases, states; nil where absent) cast
    /// to the type their kernels compute in: float64 when any is float64, as PyDyNet's NumPy
    /// arithmetic promotes a float32 batch fed to a float64 layer, float32 otherwise (float16
    /// is stored, not computed: see `halfOnly`). The casts are recorded, so each
    /// operand's gradient keeps its own dtype. Fails, naming `op` and the operand, when one is
    /// not a float tensor.
    static func promotedToCommonFloat(_ op: String, _ operands: [(name: String, tensor: Tensor?)]) throws -> [Tensor?] {
        for (name, t) in operands {
            guard let t, !t.dtype.isFloatingPoint else { continue }
            throw EngineError.dtype("\(op): \(name) must be float16, float32 or float64, got \(t.dtype.name)")
        }
        let common: DType = operands.contains { $0.tensor?.dtype == .float64 } ? .float64 : .float32
        return try operands.map { try $0.tensor.map { try cast($0, to: common) } }
    }

    /// Whether an op runs in float32 and rounds its results to float16, because float16 is
    /// stored, not computed: true when the operands (nil: absent) include a float16 tensor and
    /// no wider float one. The op then calls itself on `single(...)` operands and returns
    /// `half(...)` results, as NumPy's float16 loops compute in float32; the casts are
    /// recorded, so gradients come back as float16.
    static func halfOnly(_ operands: Tensor?...) -> Bool { halfOnly(operands) }

    /// `halfOnly` of a list of operands.
    static func halfOnly(_ operands: [Tensor?]) -> Bool {
        let floats = operands.compactMap { $0 }.filter { $0.dtype.isFloatingPoint }
        return !floats.isEmpty && floats.allSatisfy { $0.dtype == .float16 }
    }

    /// A float16 tensor cast to float32 (see `halfOnly`); any other tensor as it is.
    static func single(_ t: Tensor) throws -> Tensor { t.dtype == .float16 ? try cast(t, to: .float32) : t }

    /// `single` of an optional operand.
    static func single(_ t: Tensor?) throws -> Tensor? { try t.map(single) }

    /// A float32 result rounded to float16 (see `halfOnly`); any other tensor (int64 indices)
    /// as it is.
    static func half(_ t: Tensor) throws -> Tensor { t.dtype == .float32 ? try cast(t, to: .float16) : t }

    /// A float16 batch or instance norm (see `halfOnly`): `run` gets float32 copies of the
    /// running statistics (float16 ones; others as they are, nil stays nil), which it updates in
    /// place; they are then rounded back into the originals, and the result to float16.
    static func halfWithRunningStatistics(_ runningMean: Tensor?, _ runningVar: Tensor?,
                                          _ run: (Tensor?, Tensor?) throws -> Tensor) throws -> Tensor {
        let (mean, variance) = (try single(runningMean), try single(runningVar))
        let out = try half(run(mean, variance))
        for (wide, original) in [(mean, runningMean), (variance, runningVar)] {
            guard let wide, let original, wide !== original else { continue }
            let rounded = try cast(wide, to: original.dtype)
            original.storage.bytes.copyMemory(from: rounded.storage.bytes, byteCount: original.byteCount)
        }
        return out
    }

    /// An in-place kernel on a float16 or narrow-integer `target`: `kernel` updates a copy of
    /// it in its compute type (with `operand` cast alike), which is then rounded or wrapped back
    /// into `target`'s memory. Returns false, doing nothing, for a type computed as it is.
    static func updatedInComputeType(_ target: Tensor, _ operand: Tensor, _ kernel: (Tensor, Tensor) throws -> Void) throws -> Bool {
        let wide = target.dtype.computeType
        guard wide != target.dtype else { return false }
        let wideTarget = try cast(target.detached(), to: wide)
        try kernel(wideTarget, try cast(operand.detached(), to: wide))
        let back = try cast(wideTarget, to: target.dtype)
        target.storage.bytes.copyMemory(from: back.storage.bytes, byteCount: target.byteCount)
        return true
    }

    /// An index tensor (any integer type) as int64, which the indexing kernels read; a float or
    /// bool tensor is a dtype error naming `op` and the tensor's `role`.
    static func int64Index(_ index: Tensor, _ op: String, _ role: String = "index") throws -> Tensor {
        guard index.dtype.isInteger else {
            throw EngineError.dtype("\(op): \(role) must be an integer tensor, got \(index.dtype.name)")
        }
        return try cast(index, to: .int64)
    }
}
