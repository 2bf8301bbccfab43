/// One element of an indexing key, as in `x[1, 2:5, None, ..., idx]`.
public enum IndexItem {
    /// A single position (negative counts from the end); removes the axis.
    case int(Int)
    /// `start:stop:step`, each optional.
    case slice(start: Int?, stop: Int?, step: Int?)
    /// `None`: inserts a size-1 axis.
    case newAxis
    /// `...`: as many full slices as needed.
    case ellipsis
    /// An int64 tensor of positions, or a bool mask over one or more axes.
    case tensor(Tensor)
}

/// Where the elements selected by a key sit in the source: for every result element, in
/// row-major order, its element offset in the source tensor. Also built by `gather`,
/// `index_select` and `diagonal`, which share `index`'s adjoint pair of kernels.
struct Selection {
    /// Shape of the result.
    var shape: [Int]
    /// Source offsets of the result elements, or `nil` when the key has only basic items and
    /// `(base, strides)` describe the selection.
    var offsets: [Int]?
    /// With basic keys: the source offset of the first element...
    var base: Int
    /// ...and the source strides of each result axis.
    var strides: [Int]
}

extension Ops {
    /// `a[key]` with NumPy's basic and advanced indexing rules. The gradient scatter-adds.
    public static func index(_ a: Tensor, _ key: [IndexItem]) throws -> Tensor {
        try gather(a, try select(a.shape, key))
    }

    /// The elements of `a` that `selection` picks, recorded as `op`; the gradient is `scatter`
    /// of the same selection.
    static func gather(_ a: Tensor, _ selection: Selection, op: String = "index") throws -> Tensor {
        let out = try Tensor(shape: selection.shape, dtype: a.dtype, op: op)
        if let offsets = selection.offsets {
            Strided.gather(itemSize: a.dtype.itemSize, from: a.storage.bytes, offsets: offsets, to: out.storage.bytes)
        } else {
            Strided.copy(itemSize: a.dtype.itemSize, shape: selection.shape,
                         from: a.storage.bytes, offset: selection.base, strides: selection.strides,
                         to: out.storage.bytes, offset: 0, strides: Shape.strides(selection.shape))
        }
        let shape = a.shape
        return try out.recording(op, [a]) { g in [try scatter(g, selection, into: shape, op: op + "_backward")] }
    }

    /// A zero tensor of `shape` with `g`'s elements added where `selection` picked them
    /// (repeated positions accumulate), recorded as `op`: `index`'s backward, whose own
    /// backward is `gather`.
    static func scatter(_ g: Tensor, _ selection: Selection, into shape: [Int], op: String = "index_backward") throws -> Tensor {
        let full = try Tensor(shape: shape, dtype: g.dtype, zeroed: true, op: op)
        if let offsets = selection.offsets {
            try scatterAdd(g, into: full, offsets: offsets)
        } else {
            Strided.copy(itemSize: g.dtype.itemSize, shape: selection.shape,
                         from: g.storage.bytes, offset: 0, strides: Shape.strides(selection.shape),
                         to: full.storage.bytes, offset: selection.base, strides: selection.strides)
        }
        // Named as the forward whose backward this is (`index` for `index_backward`).
        let forward = op.hasSuffix("_backward") ? String(op.dropLast("_backward".count)) : op
        return try full.recording(op, [g]) { gg in [try gather(gg, selection, op: forward)] }
    }

    /// `a[key] = value` in place (value broadcast to the selection and cast to `a`'s type,
    /// truncating floats into ints as NumPy's assignment does).
    public static func indexPut(_ a: Tensor, _ key: [IndexItem], _ value: Tensor) throws {
        try checkInPlace(a, op: "setitem")
        if a.dtype.isInteger, !(try allFinite(value)) {
            throw EngineError.invalidArgument("setitem: cannot convert float NaN or infinity to integer")
        }
        let selection = try select(a.shape, key)
        var value = value
        if value.rank > selection.shape.count {
            // NumPy drops leading size-1 dimensions of the value: a[0] = ones((1, 4)).
            let extra = value.rank - selection.shape.count
            if value.shape[..<extra].allSatisfy({ $0 == 1 }) {
                value = value.sharingStorage(shape: Array(value.shape[extra...]))
            }
        }
        let source = try expand(try cast(value, to: a.dtype), to: selection.shape)
        let offsets = selection.offsets ?? stridedOffsets(selection)
        Strided.scatter(itemSize: a.dtype.itemSize, from: source.storage.bytes, offsets: offsets, to: a.storage.bytes)
    }

    /// Whether every element of a tensor is finite (always true for ints and bools).
    static func allFinite(_ t: Tensor) throws -> Bool {
        guard t.dtype.isFloatingPoint else { return true }
        let wide = try cast(t, to: .float64)
        // (the pointer is only valid while `wide` lives: a temporary is freed after its last use)
        return withExtendedLifetime(wide) {
            let p = wide.pointer(Double.self)
            return (0..<t.count).allSatisfy { p[$0].isFinite }
        }
    }

    /// Adds `g`'s elements at `offsets` of `full`, in order, so repeated positions accumulate
    /// (int64 sums wrap; bools combine with "or").
    private static func scatterAdd(_ g: Tensor, into full: Tensor, offsets: [Int]) throws {
        if try updatedInComputeType(full, g, { try scatterAdd($1, into: $0, offsets: offsets) }) { return }
        func run<T: FloatElement>(_: T.Type) {
            let src = g.pointer(T.self), dst = full.pointer(T.self)
            for (i, o) in offsets.enumerated() { dst[o] += src[i] }
        }
        switch g.dtype {
        case .int64:  // (the narrower types were widened above)
            let src = g.pointer(Int64.self), dst = full.pointer(Int64.self)
            for (i, o) in offsets.enumerated() { dst[o] &+= src[i] }
        case .bool:
            let src = g.pointer(Bool.self), dst = full.pointer(Bool.self)
            for (i, o) in offsets.enumerated() where src[i] { dst[o] = true }
        default:
            try g.dtype.dispatchFloat("index backward", run, run)
        }
    }

    /// The explicit offsets of a basic selection.
    private static func stridedOffsets(_ s: Selection) -> [Int] {
        var offsets = [Int]()
        offsets.reserveCapacity(s.shape.reduce(1, *))
        forEachIndex(s.shape) { index in
            var o = s.base
            for (i, stride) in zip(index, s.strides) { o += i * stride }
            offsets.append(o)
        }
        return offsets
    }

    /// Calls `body` with every multi-index of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
        guard !shape.contains(0) else { return }
        var index = [Int](repeating: 0, count: shape.count)
        while true {
            body(index)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// Resolves `key` against a source of `shape` (NumPy rules: advanced indices broadcast
    /// together and their axes replace them in place when adjacent, or go first otherwise).
    private static func select(_ shape: [Int], _ key: [IndexItem]) throws -> Selection {
        // Expand bool masks into one int64 position tensor per masked axis.
        var items: [IndexItem] = []
        var maskAxisSizes: [ObjectIdentifier: Int] = [:]
        for item in key {
            if case .tensor(let t) = item, t.dtype == .bool {
                for (positions, size) in zip(try maskPositions(t), t.shape) {
                    maskAxisSizes[ObjectIdentifier(positions)] = size
                    items.append(.tensor(positions))
                }
            } else if case .tensor(let t) = item, t.dtype != .int64 {
                guard t.dtype.isInteger else {
                    throw EngineError.index("index: arrays used as indices must be of integer or boolean type, got \(t.dtype.name)")
                }
                items.append(.tensor(try Ops.cast(t, to: .int64)))
            } else {
                items.append(item)
            }
        }
        let consumed = items.filter { if case .newAxis = $0 { return false }; if case .ellipsis = $0 { return false }; return true }.count
        guard consumed <= shape.count else {
            throw EngineError.index("index: too many indices for array: array is \(shape.count)-dimensional, but \(consumed) were indexed")
        }
        guard items.filter({ if case .ellipsis = $0 { return true }; return false }).count <= 1 else {
            throw EngineError.index("index: an index can only have a single ellipsis ('...')")
        }
        let written = items
        if let e = items.firstIndex(where: { if case .ellipsis = $0 { return true }; return false }) {
            items.replaceSubrange(e...e, with: Array(repeating: .slice(start: nil, stop: nil, step: nil), count: shape.count - consumed))
        } else {
            items += Array(repeating: .slice(start: nil, stop: nil, step: nil), count: shape.count - consumed)
        }

        let sourceStrides = Shape.strides(shape)
        let hasArrays = items.contains { if case .tensor = $0 { return true }; return false }
        let arraysAdjacent = advancedIndicesAdjacent(written, hasArrays: hasArrays)
        var base = 0, axis = 0
        var basicShape: [Int] = [], basicStrides: [Int] = []
        var arrays: [(positions: Tensor, stride: Int, size: Int)] = []
        var firstArraySlot: Int?
        for item in items {
            var isArray = false
            switch item {
            case .newAxis:
                basicShape.append(1)
                basicStrides.append(0)
            case .ellipsis:
                break
            case .int(let i) where !hasArrays:
                base += try normalizeIndex(i, size: shape[axis], axis: axis) * sourceStrides[axis]
                axis += 1
            case .int(let i):
                arrays.append((try Tensor.scalar(Double(i), dtype: .int64), sourceStrides[axis], shape[axis]))
                isArray = true
            case .tensor(let t):
                if let maskSize = maskAxisSizes[ObjectIdentifier(t)], maskSize != shape[axis] {
                    throw EngineError.index("index: boolean index did not match indexed array along axis \(axis); size of axis is \(shape[axis]) but size of corresponding boolean axis is \(maskSize)")
                }
                arrays.append((t, sourceStrides[axis], shape[axis]))
                isArray = true
            case .slice(let start, let stop, let step):
                let (first, count, step) = try resolveSlice(start, stop, step, size: shape[axis])
                base += first * sourceStrides[axis]
                basicShape.append(count)
                // With two or more elements |step| < size, so the product cannot overflow.
                basicStrides.append(count > 1 ? step * sourceStrides[axis] : 0)
                axis += 1
            }
            if isArray {
                try checkArrayBounds(arrays[arrays.count - 1].positions, size: shape[axis], axis: axis)
                if firstArraySlot == nil { firstArraySlot = basicShape.count }
                axis += 1
            }
        }
        guard let slot = firstArraySlot else {
            return Selection(shape: basicShape, offsets: nil, base: base, strides: basicStrides)
        }

        // Offsets contributed by the broadcast advanced indices, one per broadcast position.
        var arrayShape: [Int] = []
        for (positions, _, _) in arrays { arrayShape = try Shape.broadcast(arrayShape, positions.shape, op: "index") }
        let insertAt = arraysAdjacent ? slot : 0
        let resultShape = Array(basicShape[..<insertAt]) + arrayShape + Array(basicShape[insertAt...])
        let resultCount = try Shape.count(resultShape, op: "index")
        guard resultCount <= Storage.allocationLimit / MemoryLayout<Int>.stride else {
            throw EngineError.outOfMemory("index: result of shape \(describe(resultShape)) is too large")
        }
        let arrayCount = arrayShape.reduce(1, *)
        var arrayOffsets = [Int](repeating: 0, count: arrayCount)
        for (positions, stride, size) in arrays where arrayCount > 0 {
            let plan = ElementwisePlan(shape: arrayShape, operandShapes: [positions.shape])
            let p = positions.pointer(Int64.self), step = plan.step(0)
            plan.forEachRun(in: 0..<arrayCount) { start, off, length in
                for i in 0..<length {
                    let raw = Int(p[off.0 + i * step])
                    arrayOffsets[start + i] += (raw < 0 ? raw + size : raw) * stride
                }
            }
        }
        let shapeBefore = Array(basicShape[..<insertAt]), shapeAfter = Array(basicShape[insertAt...])
        let stridesBefore = Array(basicStrides[..<insertAt]), stridesAfter = Array(basicStrides[insertAt...])
        var offsets: [Int] = []
        offsets.reserveCapacity(resultCount)
        forEachIndex(shapeBefore) { before in
            let o1 = base + zip(before, stridesBefore).reduce(0) { $0 + $1.0 * $1.1 }
            for arrayOffset in arrayOffsets {
                forEachIndex(shapeAfter) { after in
                    offsets.append(o1 + arrayOffset + zip(after, stridesAfter).reduce(0) { $0 + $1.0 * $1.1 })
                }
            }
        }
        return Selection(shape: resultShape, offsets: offsets, base: 0, strides: [])
    }

    /// Whether the advanced indices of a key, as written, stand next to each other (integers
    /// count as advanced when arrays are present; `...` and `None` separate them, as in NumPy).
    private static func advancedIndicesAdjacent(_ items: [IndexItem], hasArrays: Bool) -> Bool {
        let advanced = items.map { item -> Bool in
            switch item {
            case .tensor: return true
            case .int: return hasArrays
            default: return false
            }
        }
        guard let first = advanced.firstIndex(of: true), let last = advanced.lastIndex(of: true) else { return true }
        return advanced[first...last].allSatisfy { $0 }
    }

    /// Checks that every position in `positions` fits an axis of `size` (negatives count from the end).
    private static func checkArrayBounds(_ positions: Tensor, size: Int, axis: Int) throws {
        let p = positions.pointer(Int64.self)
        for i in 0..<positions.count {
            let v = Int(p[i])
            guard v >= -size && v < size else {
                throw EngineError.index("index: index \(v) is out of bounds for axis \(axis) with size \(size)")
            }
        }
    }

    /// A single position checked against an axis of `size`.
    private static func normalizeIndex(_ i: Int, size: Int, axis: Int) throws -> Int {
        guard i >= -size && i < size else {
            throw EngineError.index("index: index \(i) is out of bounds for axis \(axis) with size \(size)")
        }
        return i < 0 ? i + size : i
    }

    /// First position, element count and step of `start:stop:step` over an axis of `size`
    /// (Python's `slice.indices`).
    private static func resolveSlice(_ start: Int?, _ stop: Int?, _ step: Int?, size: Int) throws -> (Int, Int, Int) {
        let step = step ?? 1
        guard step != 0 else { throw EngineError.invalidArgument("index: slice step cannot be zero") }
        func clamp(_ v: Int?, _ defaultValue: Int, _ low: Int, _ high: Int) -> Int {
            guard var v else { return defaultValue }
            if v < 0 { v += size }
            return Swift.min(Swift.max(v, low), high)
        }
        let first: Int, last: Int
        if step > 0 {
            first = clamp(start, 0, 0, size)
            last = clamp(stop, size, 0, size)
        } else {
            first = clamp(start, size - 1, -1, size - 1)
            last = clamp(stop, -1, -1, size - 1)
        }
        let span = step > 0 ? last - first : first - last
        let count = span <= 0 ? 0 : 1 + (span - 1) / step.magnitude.clampedToInt
        return (count == 0 ? 0 : first, count, step)
    }

    /// The positions of the true elements of a mask, one int64 tensor per mask axis.
    private static func maskPositions(_ mask: Tensor) throws -> [Tensor] {
        guard mask.rank > 0 else { throw EngineError.index("index: 0-d boolean indices are not supported") }
        let m = mask.pointer(Bool.self)
        let hits = (0..<mask.count).filter { m[$0] }
        let strides = Shape.strides(mask.shape)
        return try (0..<mask.rank).map { axis in
            let t = try Tensor(shape: [hits.count], dtype: .int64, op: "index")
            let p = t.pointer(Int64.self)
            for (i, flat) in hits.enumerated() { p[i] = Int64(flat / strides[axis] % mask.shape[axis]) }
            return t
        }
    }
}

private extension UInt {
    /// The value as an Int, saturating at Int.max.
    var clampedToInt: Int { self > UInt(Int.max) ? Int.max : Int(self) }
}
