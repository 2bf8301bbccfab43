/// PyTorch's indexing along one dimension: gather, scatter, scatter_add, index_select,
/// masked_fill, take_along_dim and nonzero. The moves go through `index`'s adjoint pair of
/// kernels (`gather(_:_:op:)` picks elements at offsets, `scatter(_:_:into:op:)` adds them back),
/// so every gradient is itself made of ops and differentiates again.
extension Ops {
    /// `out[p] = input[p with p[dim] replaced by index[p]]` for every position `p` of `index`
    /// (`torch.gather`). `index` is int64 with input's rank and, outside `dim`, no larger than
    /// `input`; its values lie in `0..<input.shape[dim]`. A 0-d input acts as 1-D of size 1.
    /// The gradient scatter-adds into a zero tensor of input's shape.
    public static func gather(_ input: Tensor, dim: Int, index: Tensor) throws -> Tensor {
        let op = "gather"
        let plan = try AlongDim(input.shape, dim: dim, index: index, op: op)
        return try gather(input, Selection(shape: index.shape, offsets: plan.offsets, base: 0, strides: []), op: op)
    }

    /// `input` with `src[p]` written at `p with p[dim] replaced by index[p]` for every position
    /// `p` of `index` (`torch.scatter`); `src` (same dtype as input) may be larger than `index`
    /// in every dimension. Where an index repeats, the last write wins. With `reduce` the
    /// values are added (`add`) or multiplied (`multiply`) in instead. The gradient to `input`
    /// is zero at overwritten positions; to `src` it gathers the output gradient.
    public static func scatter(_ input: Tensor, dim: Int, index: Tensor, src: Tensor, reduce: ScatterReduction? = nil) throws -> Tensor {
        let op = "scatter"
        guard src.dtype == input.dtype else {
            throw EngineError.dtype("\(op): expected self.dtype to be equal to src.dtype, got \(input.dtype.name) and \(src.dtype.name)")
        }
        let plan = try AlongDim(input.shape, dim: dim, index: index, op: op, src: src.shape)
        let values = try gather(src, Selection(shape: index.shape, offsets: plan.sourceOffsets, base: 0, strides: []), op: op)
        return try scatter(input, plan, values, reduce: reduce, op: op)
    }

    /// `scatter` with every written value equal to `value` (converted to input's dtype); no
    /// gradient flows to the value.
    public static func scatter(_ input: Tensor, dim: Int, index: Tensor, value: Double, reduce: ScatterReduction? = nil) throws -> Tensor {
        let op = "scatter"
        let plan = try AlongDim(input.shape, dim: dim, index: index, op: op)
        if input.dtype.isInteger && !value.isFinite {
            throw EngineError.invalidArgument("\(op): cannot convert \(value) to \(input.dtype.name)")
        }
        return try scatter(input, plan, try Tensor.full(value, dtype: input.dtype, shape: index.shape), reduce: reduce, op: op)
    }

    /// `input` plus `src`'s elements added at the positions `index` names along `dim`
    /// (`torch.scatter_add`; repeated positions accumulate). Gradients: the output gradient to
    /// `input`, its gather to `src`.
    public static func scatterAdd(_ input: Tensor, dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        try scatter(input, dim: dim, index: index, src: src, reduce: .add)
    }

    /// How `scatter` combines a written value with the element already there.
    public enum ScatterReduction: Sendable {
        /// Adds the value (as `scatter_add`).
        case add
        /// Multiplies the element by the value.
        case multiply
    }

    /// `input` with `values` (index's shape, input's dtype) combined in at `plan`'s offsets.
    private static func scatter(_ input: Tensor, _ plan: AlongDim, _ values: Tensor, reduce: ScatterReduction?, op: String) throws -> Tensor {
        let selection = Selection(shape: values.shape, offsets: plan.offsets, base: 0, strides: [])
        switch reduce {
        case .add:
            return try add(input, scatter(values, selection, into: input.shape, op: op))
        case .multiply:
            // The product of the values landing on each element (1 where none lands), as
            // exp of a scatter-added log would lose signs and zeros: multiply directly.
            guard !values.requiresGrad || !GradMode.isEnabled else {
                throw EngineError.invalidArgument("\(op): reduce='multiply' is not differentiable with respect to src")
            }
            let factors = try Tensor.full(1, dtype: input.dtype, shape: input.shape)
            try multiplyIn(values, into: factors, offsets: plan.offsets)
            return try mul(input, factors)
        case nil:
            let out = try Tensor(shape: input.shape, dtype: input.dtype, op: op)
            out.storage.bytes.copyMemory(from: input.storage.bytes, byteCount: input.count * input.dtype.itemSize)
            Strided.scatter(itemSize: input.dtype.itemSize, from: values.storage.bytes, offsets: plan.offsets, to: out.storage.bytes)
            // 1 where the input's element survives, 0 where a value overwrote it.
            let kept = try Tensor.full(1, dtype: input.dtype, shape: input.shape)
            let zeros = try Tensor.full(0, dtype: input.dtype, shape: values.shape)
            withExtendedLifetime(zeros) {
                Strided.scatter(itemSize: input.dtype.itemSize, from: zeros.storage.bytes, offsets: plan.offsets, to: kept.storage.bytes)
            }
            return try out.recording(op, [input, values]) { g in
                [input.requiresGrad ? try mul(g, kept) : nil,
                 values.requiresGrad ? try gather(g, selection, op: op) : nil]
            }
        }
    }

    /// `factors[offsets[i]] *= values[i]` for every i.
    private static func multiplyIn(_ values: Tensor, into factors: Tensor, offsets: [Int]) throws {
        if try updatedInComputeType(factors, values, { try multiplyIn($1, into: $0, offsets: offsets) }) { return }
        func run<T: Numeric>(_: T.Type) {
            let src = values.pointer(T.self), dst = factors.pointer(T.self)
            for (i, o) in offsets.enumerated() { dst[o] *= src[i] }
        }
        switch values.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .bool:
            let src = values.pointer(Bool.self), dst = factors.pointer(Bool.self)
            for (i, o) in offsets.enumerated() { dst[o] = dst[o] && src[i] }
        default:  // int64 (the narrower types were widened above)
            let src = values.pointer(Int64.self), dst = factors.pointer(Int64.self)
            for (i, o) in offsets.enumerated() { dst[o] = dst[o] &* src[i] }
        }
    }

    /// The slices of `input` along `dim` at the positions of the 1-D (or 0-d) int64 `index`
    /// (`torch.index_select`): the result has input's shape with `index.count` at `dim`.
    /// Values lie in `0..<input.shape[dim]`. The gradient scatter-adds the slices back.
    public static func indexSelect(_ input: Tensor, dim: Int, index: Tensor) throws -> Tensor {
        let op = "index_select"
        let index = try int64Index(index, op)
        guard index.rank <= 1 else {
            throw EngineError.index("\(op): index is supposed to be a vector, got shape \(describe(index.shape))")
        }
        let shape = input.rank == 0 ? [1] : input.shape
        let axis = try dimension(dim, rank: shape.count, op: op)
        if input.rank == 0 && index.count != 1 {
            throw EngineError.index("\(op): index to a scalar can have only 1 value, got \(index.count) value(s)")
        }
        let size = shape[axis]
        let positions = index.pointer(Int64.self)
        for i in 0..<index.count where positions[i] < 0 || positions[i] >= Int64(size) {
            throw EngineError.index("\(op): index \(positions[i]) is out of range for dimension \(dim) with size \(size)")
        }
        var outShape = shape
        outShape[axis] = index.count
        if input.rank == 0 { outShape = [] }
        let inner = shape[(axis + 1)...].reduce(1, *), outer = shape[..<axis].reduce(1, *)
        let count = try Shape.count(outShape, op: op)
        var offsets = [Int]()
        offsets.reserveCapacity(count)
        for o in 0..<outer {
            for j in 0..<index.count {
                let base = (o * size + Int(positions[j])) * inner
                for i in 0..<inner { offsets.append(base + i) }
            }
        }
        return try gather(input, Selection(shape: outShape, offsets: offsets, base: 0, strides: []), op: op)
    }

    /// `input` with `value` (a 0-d tensor, converted to input's dtype) wherever the bool `mask`
    /// is true (`torch.masked_fill`); mask and input broadcast together. Gradients: the output
    /// gradient where the mask is false to `input`, its sum where true to `value`.
    public static func maskedFill(_ input: Tensor, mask: Tensor, value: Tensor) throws -> Tensor {
        let op = "masked_fill"
        guard mask.dtype == .bool else {
            throw EngineError.dtype("\(op): only boolean masks are supported, got mask with dtype \(mask.dtype.name)")
        }
        guard value.rank == 0 else {
            throw EngineError.invalidArgument("\(op): only a 0-dimensional value tensor is supported, got a tensor with \(value.rank) dimension(s)")
        }
        if input.dtype.isInteger, !(try allFinite(value)) {
            throw EngineError.invalidArgument("\(op): cannot convert float NaN or infinity to int64")
        }
        return try Ops.where(mask, try cast(value, to: input.dtype), input)
    }

    /// Elements of `input` picked along `dim` by `indices` (`torch.take_along_dim`,
    /// `np.take_along_axis`): both have the same rank and broadcast outside `dim`. With no `dim`
    /// both are flattened first. The gradient scatter-adds.
    public static func takeAlongDim(_ input: Tensor, indices: Tensor, dim: Int?) throws -> Tensor {
        let op = "take_along_dim"
        guard let dim else {
            return try gather(reshape(input, [input.count]), dim: 0, index: reshape(indices, [indices.count]))
        }
        guard input.rank == indices.rank else {
            throw EngineError.shapeMismatch("\(op): input and indices should have the same number of dimensions, but got \(input.rank) dimensions for input, and \(indices.rank) dimensions for indices")
        }
        if input.rank == 0 { return try gather(input, dim: dim, index: indices) }
        let axis = try dimension(dim, rank: input.rank, op: op)
        var a = input.shape, b = indices.shape
        (a[axis], b[axis]) = (1, 1)
        let common = try Shape.broadcast(a, b, op: op)
        var inputShape = common, indexShape = common
        (inputShape[axis], indexShape[axis]) = (input.shape[axis], indices.shape[axis])
        return try gather(expand(input, to: inputShape), dim: axis, index: expand(indices, to: indexShape))
    }

    /// The positions of the nonzero elements of `a`, one row of `a.rank` int64 coordinates per
    /// element in row-major order: shape (n, rank) (`torch.nonzero`). Not differentiable.
    public static func nonzero(_ a: Tensor) throws -> Tensor {
        let hits = try nonzeroFlat(a)
        let out = try Tensor(shape: [hits.count, a.rank], dtype: .int64, op: "nonzero")
        let p = out.pointer(Int64.self), strides = Shape.strides(a.shape)
        for (row, flat) in hits.enumerated() {
            for axis in 0..<a.rank { p[row * a.rank + axis] = Int64(flat / strides[axis] % a.shape[axis]) }
        }
        return out
    }

    /// `nonzero` as one 1-D int64 tensor of coordinates per dimension (`as_tuple=True`); a 0-d
    /// input counts as 1-D.
    public static func nonzeroColumns(_ a: Tensor) throws -> [Tensor] {
        let hits = try nonzeroFlat(a)
        let shape = a.rank == 0 ? [1] : a.shape, strides = Shape.strides(shape)
        return try (0..<shape.count).map { axis in
            let t = try Tensor(shape: [hits.count], dtype: .int64, op: "nonzero")
            let p = t.pointer(Int64.self)
            for (i, flat) in hits.enumerated() { p[i] = Int64(flat / strides[axis] % shape[axis]) }
            return t
        }
    }

    /// Row-major positions of the nonzero (true, not 0; NaN counts as nonzero) elements.
    private static func nonzeroFlat(_ a: Tensor) throws -> [Int] {
        switch a.dtype {
        case .bool: let p = a.pointer(Bool.self); return (0..<a.count).filter { p[$0] }
        case .float32: let p = a.pointer(Float.self); return (0..<a.count).filter { p[$0] != 0 }
        case .float64: let p = a.pointer(Double.self); return (0..<a.count).filter { p[$0] != 0 }
        case .int64: let p = a.pointer(Int64.self); return (0..<a.count).filter { p[$0] != 0 }
        default: return try nonzeroFlat(cast(a, to: a.dtype.computeType))  // float16 exactly as float32
        }
    }

    /// A dimension mapped into `0..<rank`, or PyTorch's index error.
    static func dimension(_ dim: Int, rank: Int, op: String) throws -> Int {
        let low = -Swift.max(rank, 1), high = Swift.max(rank, 1) - 1
        guard dim >= low && dim <= high else {
            throw EngineError.index("\(op): dimension out of range (expected to be in range of [\(low), \(high)], but got \(dim))")
        }
        return dim < 0 ? dim + Swift.max(rank, 1) : dim
    }
}

/// Where the positions of an `index` tensor land in the input (and in a `src`) of `gather`
/// and `scatter`: PyTorch's shape rules checked, offsets listed in index's row-major order.
private struct AlongDim {
    /// Element offset in the input for each position of the index.
    let offsets: [Int]
    /// Element offset in `src` for each position of the index (empty without a src).
    let sourceOffsets: [Int]

    init(_ inputShape: [Int], dim: Int, index: Tensor, op: String, src: [Int]? = nil) throws {
        let index = try Ops.int64Index(index, op)
        // 0-d tensors act as 1-D of size 1.
        let shape = inputShape.isEmpty ? [1] : inputShape
        let indexShape = index.shape.isEmpty ? [1] : index.shape
        let sourceShape = src.map { $0.isEmpty ? [1] : $0 }
        guard indexShape.count == shape.count && (sourceShape == nil || sourceShape!.count == shape.count) else {
            throw EngineError.shapeMismatch("\(op): index tensor must have the same number of dimensions as input tensor\(src == nil ? "" : " and src"), got \(index.rank) and \(inputShape.count)\(src.map { " and \($0.count)" } ?? "")")
        }
        let axis = try Ops.dimension(dim, rank: inputShape.count, op: op)
        for d in 0..<shape.count {
            if d != axis && indexShape[d] > shape[d] {
                throw EngineError.shapeMismatch("\(op): size does not match at dimension \(d): expected index \(describe(index.shape)) to be no larger than self \(describe(inputShape)) apart from dimension \(axis)")
            }
            if let sourceShape, indexShape[d] > sourceShape[d] {
                throw EngineError.shapeMismatch("\(op): expected index \(describe(index.shape)) to be no larger than src \(describe(src!)) at dimension \(d)")
            }
        }
        let size = shape[axis]
        let positions = index.pointer(Int64.self)
        for i in 0..<index.count where positions[i] < 0 || positions[i] >= Int64(size) {
            throw EngineError.index("\(op): index \(positions[i]) is out of bounds for dimension \(axis) with size \(size)")
        }
        let strides = Shape.strides(shape), sourceStrides = sourceShape.map(Shape.strides) ?? []
        var offsets = [Int](repeating: 0, count: index.count)
        var sourceOffsets = [Int](repeating: 0, count: sourceShape == nil ? 0 : index.count)
        // The index's positions in row-major order, the i-th flat one naming offsets[i].
        var i = 0
        Ops.forEachIndex(indexShape) { position in
            var o = Int(positions[i]) * strides[axis], s = 0
            for d in 0..<position.count {
                if d != axis { o += position[d] * strides[d] }
                if !sourceStrides.isEmpty { s += position[d] * sourceStrides[d] }
            }
            offsets[i] = o
            if !sourceStrides.isEmpty { sourceOffsets[i] = s }
            i += 1
        }
        self.offsets = offsets
        self.sourceOffsets = sourceOffsets
    }
}
