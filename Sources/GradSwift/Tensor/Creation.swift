#if canImport(Glibc)
import Glibc
#endif

/// Ways to make leaf tensors: from a buffer, from a constant, from the engine's random generator.
extension Tensor {
    /// A tensor holding a copy of `count(shape)` elements of `dtype` read from `bytes`.
    public static func copying(_ bytes: UnsafeRawPointer?, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = try Tensor(shape: shape, dtype: dtype, op: "tensor_new")
        if t.byteCount > 0 {
            guard let bytes else { throw EngineError.invalidArgument("tensor_new: data pointer is NULL") }
            memcpy(t.storage.bytes, bytes, t.byteCount)
        }
        if dtype == .bool {
            // Any nonzero byte is true; store it as 1, the only true value Swift's Bool knows.
            let b = t.storage.bytes.assumingMemoryBound(to: UInt8.self)
            for i in 0..<t.count where b[i] > 1 { b[i] = 1 }
        }
        return t
    }

    /// A tensor with every element equal to `value` (converted to `dtype`).
    public static func full(_ value: Double, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = try Tensor(shape: shape, dtype: dtype, zeroed: value == 0, op: "tensor_full")
        if value != 0 { t.fill(value) }
        return t
    }

    /// A 0-d tensor holding `value`.
    public static func scalar(_ value: Double, dtype: DType) throws -> Tensor {
        try full(value, dtype: dtype, shape: [])
    }

    /// A 0-d tensor holding a Python-style scalar of `kind` about to meet `tensor` in an op, in
    /// the dtype weak promotion gives it (`ScalarKind.dtype(with:)`).
    public static func scalar(_ value: Double, kind: ScalarKind, meeting tensor: Tensor) throws -> Tensor {
        try scalar(value, dtype: kind.dtype(with: tensor.dtype))
    }

    /// Sets every element to `value` converted to this tensor's type.
    public func fill(_ value: Double) {
        switch dtype {
        case .float32: pointer(Float.self).update(repeating: Float(value), count: count)
        case .float64: pointer(Double.self).update(repeating: value, count: count)
        case .int64: pointer(Int64.self).update(repeating: Int64(saturating: value), count: count)
        case .bool: pointer(Bool.self).update(repeating: value != 0, count: count)
        }
    }

    /// Uniform samples in `[low, high)` from the engine generator.
    public static func uniform(low: Double, high: Double, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = try Tensor(shape: shape, dtype: dtype, op: "uniform")
        try t.fillUniform(low: low, high: high)
        return t
    }

    /// Normal samples with the given mean and standard deviation from the engine generator.
    public static func normal(mean: Double, std: Double, dtype: DType, shape: [Int]) throws -> Tensor {
        let t = try Tensor(shape: shape, dtype: dtype, op: "normal")
        try t.fillNormal(mean: mean, std: std)
        return t
    }

    /// Overwrites every element with a uniform sample in `[low, high)` from the engine generator.
    public func fillUniform(low: Double, high: Double) throws {
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("uniform: dtype must be float32 or float64, got \(dtype.name)")
        }
        guard low.isFinite && high.isFinite && low <= high else {
            throw EngineError.invalidArgument("uniform: need finite low <= high, got \(low) and \(high)")
        }
        guard (high - low).isFinite else {
            throw EngineError.invalidArgument("uniform: range \(low)...\(high) exceeds the float64 bounds")
        }
        let isSingle = dtype == .float32
        guard !isSingle || (Float(low).isFinite && Float(high).isFinite) else {
            throw EngineError.invalidArgument("uniform: range \(low)...\(high) exceeds the float32 bounds")
        }
        // A sample that rounds up to `high` in the tensor's type is drawn again, so every
        // element lies in [low, high) (`low` in the type when the range holds no other value of
        // the type). At most 64 draws: when nearly every real in the range rounds up to `high`
        // (a range narrower than the type's spacing), the element gets `low` in the type.
        let bottom = isSingle ? Double(Float(low)) : low
        let top = isSingle ? Double(Float(high)) : high
        RandomGenerator.shared.withLock { rng in
            fillEach { _ in
                for _ in 0..<64 {
                    let sample = low + (high - low) * rng.nextUnit()
                    if bottom >= top || (isSingle ? Double(Float(sample)) : sample) < top { return sample }
                }
                return bottom
            }
        }
    }

    /// Overwrites every element with a normal sample from the engine generator.
    public func fillNormal(mean: Double, std: Double) throws {
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("normal: dtype must be float32 or float64, got \(dtype.name)")
        }
        guard mean.isFinite && std.isFinite && std >= 0 else {
            throw EngineError.invalidArgument("normal: need finite mean and std >= 0, got \(mean) and \(std)")
        }
        RandomGenerator.shared.withLock { rng in
            fillEach { _ in mean + std * rng.nextGaussian() }
        }
    }

    /// Sets element `i` to `value(i)` for every `i` (floating types only).
    private func fillEach(_ value: (Int) -> Double) {
        switch dtype {
        case .float32:
            let p = pointer(Float.self)
            for i in 0..<count { p[i] = Float(value(i)) }
        case .float64:
            let p = pointer(Double.self)
            for i in 0..<count { p[i] = value(i) }
        case .int64, .bool:
            break
        }
    }
}
