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

    /// A tensor over memory lent by another library (DLPack's zero-copy exchange): the
    /// `count(shape)` elements of `dtype` at `bytes`, C-contiguous and aligned to the element
    /// size (bools bytes 0 or 1), read and written in place; `release()` is called once when no tensor uses them.
    /// On an error `release` is not called: the memory stays the caller's.
    public static func lent(_ bytes: UnsafeMutableRawPointer?, dtype: DType, shape: [Int],
                            release: @escaping () -> Void) throws -> Tensor {
        let op = "tensor_from_external"
        guard shape.count <= Shape.maxRank else {
            throw EngineError.invalidArgument("\(op): rank \(shape.count) exceeds the maximum of \(Shape.maxRank)")
        }
        let count = try Shape.count(shape, op: op)
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw EngineError.outOfMemory("\(op): shape \(describe(shape)) is too large") }
        guard let bytes else { throw EngineError.invalidArgument("\(op): data pointer is NULL") }
        guard Int(bitPattern: bytes) % dtype.itemSize == 0 else {
            throw EngineError.invalidArgument("\(op): data \(bytes) is not aligned to the \(dtype.itemSize)-byte \(dtype.name) elements")
        }
        let storage = Storage(lent: bytes, byteCount: byteCount, release: release)
        return Tensor(shape: shape, dtype: dtype, storage: storage, count: count)
    }

    /// A tensor with every element equal to `value` (converted to `dtype`; a value outside a
    /// narrow integer type's range is an error, as in NumPy and PyTorch).
    public static func full(_ value: Double, dtype: DType, shape: [Int]) throws -> Tensor {
        try checkRange(value, dtype, "full")
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
        let dtype = kind.dtype(with: tensor.dtype)
        try checkRange(value, dtype, "scalar operand")
        return try scalar(value, dtype: dtype)
    }

    /// Fails when `value` lies outside the range of a narrow integer `dtype` (NumPy's
    /// "Python integer 300 out of bounds for uint8"); int64's range is the caller's to check.
    static func checkRange(_ value: Double, _ dtype: DType, _ op: String) throws {
        guard dtype != .int64, let range = dtype.integerRange, value.isFinite else { return }
        guard value >= Double(range.lowerBound) && value <= Double(range.upperBound) else {
            let text = value.rounded() == value && Swift.abs(value) < 1e18 ? String(Int64(value)) : String(value)
            throw EngineError.invalidArgument("\(op): \(text) is out of bounds for \(dtype.name) (\(range.lowerBound) to \(range.upperBound))")
        }
    }

    /// Sets every element to `value` converted to this tensor's type.
    public func fill(_ value: Double) {
        dtype.visit(ConstantFiller(tensor: self, value: value))
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
            throw EngineError.dtype("uniform: dtype must be float16, float32 or float64, got \(dtype.name)")
        }
        guard low.isFinite && high.isFinite && low <= high else {
            throw EngineError.invalidArgument("uniform: need finite low <= high, got \(low) and \(high)")
        }
        guard (high - low).isFinite else {
            throw EngineError.invalidArgument("uniform: range \(low)...\(high) exceeds the float64 bounds")
        }
        let rounded = roundedToType
        guard rounded(low).isFinite && rounded(high).isFinite else {
            throw EngineError.invalidArgument("uniform: range \(low)...\(high) exceeds the \(dtype.name) bounds")
        }
        // A sample that rounds up to `high` in the tensor's type is drawn again, so every
        // element lies in [low, high) (`low` in the type when the range holds no other value of
        // the type). At most 64 draws: when nearly every real in the range rounds up to `high`
        // (a range narrower than the type's spacing), the element gets `low` in the type.
        let bottom = rounded(low), top = rounded(high)
        RandomGenerator.shared.withLock { rng in
            fillEach { _ in
                for _ in 0..<64 {
                    let sample = low + (high - low) * rng.nextUnit()
                    if bottom >= top || rounded(sample) < top { return sample }
                }
                return bottom
            }
        }
    }

    /// Overwrites every element with a normal sample from the engine generator.
    public func fillNormal(mean: Double, std: Double) throws {
        guard dtype.isFloatingPoint else {
            throw EngineError.dtype("normal: dtype must be float16, float32 or float64, got \(dtype.name)")
        }
        guard mean.isFinite && std.isFinite && std >= 0 else {
            throw EngineError.invalidArgument("normal: need finite mean and std >= 0, got \(mean) and \(std)")
        }
        RandomGenerator.shared.withLock { rng in
            fillEach { _ in mean + std * rng.nextGaussian() }
        }
    }

    /// `start, start + step, ...` while short of `end` (torch.arange): `ceil((end - start) / step)`
    /// elements computed in float64, or exactly in int64 when the dtype is int64 and the three
    /// bounds are integers.
    public static func arange(start: Double, end: Double, step: Double, dtype: DType) throws -> Tensor {
        guard start.isFinite && end.isFinite && step.isFinite else {
            throw EngineError.invalidArgument("arange: start, end and step must be finite, got \(start), \(end) and \(step)")
        }
        guard step != 0 else { throw EngineError.invalidArgument("arange: step must be nonzero") }
        try requireNumeric(dtype, "arange")
        let span = (end - start) / step
        guard span >= 0 else {
            throw EngineError.invalidArgument("arange: upper bound and larger bound inconsistent with step sign (start \(start), end \(end), step \(step))")
        }
        guard span.isFinite && span.rounded(.up) < 0x1p52 else {
            throw EngineError.outOfMemory("arange: \(start) to \(end) by \(step) has too many elements")
        }
        guard dtype != .int64 || [start, end].allSatisfy({ abs($0) <= 0x1p63 }) else {
            throw EngineError.invalidArgument("arange: bounds \(start) and \(end) lie outside int64")
        }
        let t = try Tensor(shape: [Int(span.rounded(.up))], dtype: dtype, op: "arange")
        let integral = [start, step].allSatisfy { $0.rounded() == $0 && abs($0) < 0x1p62 }
        if dtype == .int64 && integral {
            let p = t.pointer(Int64.self), first = Int64(start), stride = Int64(step)
            for i in 0..<t.count { p[i] = first &+ Int64(i) &* stride }
        } else {
            t.fillEach { start + Double($0) * step }
        }
        return t
    }

    /// `steps` evenly spaced values from `start` to `end`, both included (torch.linspace;
    /// computed in float64 as NumPy's linspace, the last element exactly `end`).
    public static func linspace(start: Double, end: Double, steps: Int, dtype: DType) throws -> Tensor {
        guard steps >= 0 else { throw EngineError.invalidArgument("linspace: number of steps must be non-negative, got \(steps)") }
        try requireNumeric(dtype, "linspace")
        let t = try Tensor(shape: [steps], dtype: dtype, op: "linspace")
        let step = steps > 1 ? (end - start) / Double(steps - 1) : 0
        t.fillEach { $0 == steps - 1 && steps > 1 ? end : start + Double($0) * step }
        return t
    }

    /// An `rows × columns` matrix with ones on the main diagonal and zeros elsewhere (torch.eye).
    public static func eye(rows: Int, columns: Int, dtype: DType) throws -> Tensor {
        guard rows >= 0 && columns >= 0 else {
            throw EngineError.invalidArgument("eye: sizes must be non-negative, got \(rows) and \(columns)")
        }
        let t = try Tensor(shape: [rows, columns], dtype: dtype, zeroed: true, op: "eye")
        let diagonal = min(rows, columns)
        let ones = try full(1, dtype: dtype, shape: [diagonal])
        Strided.copy(itemSize: dtype.itemSize, shape: [diagonal], from: ones.storage.bytes, offset: 0, strides: [1],
                     to: t.storage.bytes, offset: 0, strides: [columns + 1])
        return t
    }

    /// Integers drawn uniformly from `[low, high)` by the engine generator (torch.randint),
    /// stored as `dtype` (int64 or a float type).
    public static func randint(low: Int64, high: Int64, dtype: DType, shape: [Int]) throws -> Tensor {
        guard low < high else {
            throw EngineError.invalidArgument("randint: low must be less than high, got low=\(low) >= high=\(high)")
        }
        try requireNumeric(dtype, "randint")
        try checkRange(Double(low), dtype, "randint")
        try checkRange(Double(high - 1), dtype, "randint")
        let t = try Tensor(shape: shape, dtype: dtype, op: "randint")
        let range = UInt64(bitPattern: high &- low)
        RandomGenerator.shared.withLock { rng in
            if dtype == .int64 {
                let p = t.pointer(Int64.self)
                for i in 0..<t.count { p[i] = low &+ Int64(bitPattern: rng.next(below: range)) }
            } else {
                t.fillEach { _ in Double(low &+ Int64(bitPattern: rng.next(below: range))) }
            }
        }
        return t
    }

    /// A random permutation of `0..<n` from the engine generator (torch.randperm; Fisher-Yates).
    public static func randperm(_ n: Int, dtype: DType) throws -> Tensor {
        guard n >= 0 else { throw EngineError.invalidArgument("randperm: n must be non-negative, got \(n)") }
        try requireNumeric(dtype, "randperm")
        // The most distinct integers from 0 the type holds exactly (int64: any n).
        let limit: Int = switch dtype {
        case .float16: 1 << 11
        case .float32: 1 << 24
        case .int8: 1 << 7
        case .uint8: 1 << 8
        case .int16: 1 << 15
        case .int32: 1 << 31
        default: .max
        }
        guard n <= limit else {
            throw EngineError.invalidArgument("randperm: n = \(n) is too large for \(dtype.name) (at most \(limit) distinct integers)")
        }
        // The permutation is shuffled in an int64 tensor, whose allocation checks the size.
        let order = try Tensor(shape: [n], dtype: .int64, op: "randperm")
        let p = order.pointer(Int64.self)
        for i in 0..<n { p[i] = Int64(i) }
        RandomGenerator.shared.withLock { rng in
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.next(below: UInt64(i + 1)))
                (p[i], p[j]) = (p[j], p[i])
            }
        }
        guard dtype != .int64 else { return order }
        let t = try Tensor(shape: [n], dtype: dtype, op: "randperm")
        t.fillEach { Double(p[$0]) }
        return t
    }

    /// Refuses bool for the creation functions that make numbers (`op` names the function).
    private static func requireNumeric(_ dtype: DType, _ op: String) throws {
        guard dtype != .bool else { throw EngineError.dtype("\(op): dtype bool is not supported") }
    }

    /// Sets element `i` to `value(i)` converted to this tensor's type, for every `i`.
    private func fillEach(_ value: (Int) -> Double) {
        withoutActuallyEscaping(value) { dtype.visit(Filler(tensor: self, value: $0)) }
    }

    /// `x` rounded to this tensor's type and back (x itself for float64).
    private var roundedToType: (Double) -> Double {
        switch dtype {
        case .float16: return { Double(Float16($0)) }
        case .float32: return { Double(Float($0)) }
        default: return { $0 }
        }
    }
}

/// The kernel of `fill`: every element of `tensor` becomes `value`, converted by NumPy's cast.
private struct ConstantFiller: StorageVisitor {
    let tensor: Tensor
    let value: Double
    func callAsFunction<T: StorageElement>(_: T.Type) {
        tensor.pointer(T.self).update(repeating: T(castFrom: value), count: tensor.count)
    }
}

/// The kernel of `fillEach`: element i of `tensor` becomes `value(i)`, converted by NumPy's cast.
private struct Filler: StorageVisitor {
    let tensor: Tensor
    let value: (Int) -> Double
    func callAsFunction<T: StorageElement>(_: T.Type) {
        let p = tensor.pointer(T.self)
        for i in 0..<tensor.count { p[i] = T(castFrom: value(i)) }
    }

}
