extension Ops {
    /// The same elements in a new shape (one dimension may be -1); shares memory with `a`.
    public static func reshape(_ a: Tensor, _ requested: [Int]) throws -> Tensor {
        let shape = try resolveShape(requested, count: a.count, from: a.shape)
        if shape == a.shape && !a.requiresGrad { return a.sharingStorage(shape: shape) }
        let sourceShape = a.shape
        return try a.sharingStorage(shape: shape).recording("reshape", [a]) { g in [try reshape(g, sourceShape)] }
    }

    /// `requested` with its -1 filled in, checked against `count` elements.
    private static func resolveShape(_ requested: [Int], count: Int, from old: [Int]) throws -> [Int] {
        // (a function: the message is built only when it is thrown, not on every reshape)
        func fail() -> EngineError {
            .shapeMismatch("reshape: cannot reshape array of shape \(describe(old)) into shape \(describe(requested))")
        }
        guard requested.count <= Shape.maxRank else {
            throw EngineError.invalidArgument("reshape: rank \(requested.count) exceeds the maximum of \(Shape.maxRank)")
        }
        let unknown = requested.indices.filter { requested[$0] == -1 }
        guard unknown.count <= 1, requested.allSatisfy({ $0 >= -1 }) else {
            throw EngineError.invalidArgument("reshape: invalid shape \(describe(requested)) (at most one -1, no other negatives)")
        }
        var shape = requested
        let known = try Shape.count(requested.filter { $0 != -1 }, op: "reshape")
        if let u = unknown.first {
            guard known > 0, count % known == 0 else { throw fail() }
            shape[u] = count / known
        } else if known != count {
            throw fail()
        }
        return shape
    }

    /// Axes permuted (`nil`: reversed), as `np.transpose`.
    public static func transpose(_ a: Tensor, axes: [Int]?) throws -> Tensor {
        let perm: [Int]
        if let axes {
            guard axes.count == a.rank else {
                throw EngineError.invalidArgument("transpose: axes \(axes) don't match array of dimension \(a.rank)")
            }
            perm = try axes.map { try Shape.normalize(axis: $0, rank: a.rank, op: "transpose") }
            guard Set(perm).count == perm.count else { throw EngineError.invalidArgument("transpose: repeated axis in \(axes)") }
        } else {
            perm = Array((0..<a.rank).reversed())
        }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return try permuteCopy(a, perm).recording("transpose", [a]) { g in [try transpose(g, axes: inverse)] }
    }

    /// Two axes exchanged, as `np.swapaxes`.
    public static func swapAxes(_ a: Tensor, _ axis1: Int, _ axis2: Int) throws -> Tensor {
        let i = try Shape.normalize(axis: axis1, rank: a.rank, op: "swapaxes")
        let j = try Shape.normalize(axis: axis2, rank: a.rank, op: "swapaxes")
        var perm = Array(0..<a.rank)
        perm.swapAt(i, j)
        return try transpose(a, axes: perm)
    }

    /// New size-1 axes inserted at `axes` (positions in the result), as `np.expand_dims`.
    public static func unsqueeze(_ a: Tensor, axes: [Int]) throws -> Tensor {
        let inserted = try Shape.normalize(axes: axes, rank: a.rank + axes.count, op: "unsqueeze")
        var source = a.shape.makeIterator()
        let shape = (0..<(a.rank + axes.count)).map { inserted.contains($0) ? 1 : source.next()! }
        return try reshape(a, shape)
    }

    /// Size-1 axes removed (`nil`: all of them), as `np.squeeze`.
    public static func squeeze(_ a: Tensor, axes: [Int]?) throws -> Tensor {
        let removed = try axes.map { try Shape.normalize(axes: $0, rank: a.rank, op: "squeeze") }
            ?? a.shape.indices.filter { a.shape[$0] == 1 }
        for axis in removed where a.shape[axis] != 1 {
            throw EngineError.invalidArgument("squeeze: cannot select an axis to squeeze out which has size not equal to one (axis \(axis), shape \(describe(a.shape)))")
        }
        return try reshape(a, a.shape.indices.filter { !removed.contains($0) }.map { a.shape[$0] })
    }

    /// `a` broadcast to `shape` and materialised; the gradient sums back.
    public static func expand(_ a: Tensor, to shape: [Int]) throws -> Tensor {
        let target = try Shape.broadcast(a.shape, shape, op: "broadcast_to")
        guard target == shape else {
            throw EngineError.shapeMismatch("broadcast_to: cannot broadcast shape \(describe(a.shape)) to \(describe(shape))")
        }
        let out = try Tensor(shape: shape, dtype: a.dtype, op: "broadcast_to")
        if a.count == 1 {  // one value everywhere (the gradient of a full sum or mean)
            Strided.fill(itemSize: a.dtype.itemSize, count: out.count, from: a.storage.bytes, to: out.storage.bytes)
        } else {
            Strided.copy(itemSize: a.dtype.itemSize, shape: shape,
                         from: a.storage.bytes, offset: 0, strides: Shape.broadcastStrides(a.shape, to: shape),
                         to: out.storage.bytes, offset: 0, strides: Shape.strides(shape))
        }
        guard a.requiresGrad && GradMode.isEnabled else { return out }  // (a sum's gradient, in backward)
        return try out.recording("broadcast_to", [a]) { g in [g] }
    }

    /// `a` broadcast to `sizes` as `Tensor.expand`: -1 keeps a dimension's size, and extra
    /// leading sizes add dimensions (not as -1). Materialised; the gradient sums back.
    public static func expand(_ a: Tensor, sizes: [Int]) throws -> Tensor {
        guard sizes.count >= a.rank else {
            throw EngineError.invalidArgument("expand: the number of sizes provided (\(sizes.count)) must be greater or equal to the number of dimensions in the tensor (\(a.rank))")
        }
        let lead = sizes.count - a.rank
        var target = sizes
        for (i, size) in sizes.enumerated() {
            if size == -1 && i >= lead {
                target[i] = a.shape[i - lead]
            } else if size < 0 {
                throw EngineError.invalidArgument("expand: invalid size \(size) at dimension \(i) of \(describe(sizes)) (-1 only for an existing dimension)")
            } else if i >= lead && a.shape[i - lead] != 1 && a.shape[i - lead] != size {
                throw EngineError.shapeMismatch("expand: the expanded size of the tensor (\(size)) must match the existing size (\(a.shape[i - lead])) at non-singleton dimension \(i); target sizes \(describe(sizes)), tensor sizes \(describe(a.shape))")
            }
        }
        return try expand(a, to: target)
    }

    /// Tensors of one shape joined along a new axis `axis` of the result, as `torch.stack`
    /// (types promoted).
    public static func stack(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw EngineError.invalidArgument("stack: expects a non-empty list of tensors") }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            throw EngineError.shapeMismatch("stack: expects each tensor to be equal size, but got \(describe(first.shape)) at entry 0 and \(describe(t.shape)) at entry \(i)")
        }
        let ax = try Shape.normalize(axis: axis, rank: first.rank + 1, op: "stack")
        return try concat(tensors.map { try unsqueeze($0, axes: [ax]) }, axis: ax)
    }

    /// The axes `startAxis...endAxis` merged into one, as `torch.flatten` (a 0-d tensor becomes
    /// 1-D); shares memory with `a`.
    public static func flatten(_ a: Tensor, startAxis: Int = 0, endAxis: Int = -1) throws -> Tensor {
        let rank = Swift.max(a.rank, 1)
        let s = try Shape.normalize(axis: startAxis, rank: rank, op: "flatten")
        let e = try Shape.normalize(axis: endAxis, rank: rank, op: "flatten")
        guard s <= e else { throw EngineError.invalidArgument("flatten: start_dim cannot come after end_dim") }
        if a.rank == 0 { return try reshape(a, [1]) }
        let merged = try Shape.count(Array(a.shape[s...e]), op: "flatten")
        return try reshape(a, Array(a.shape[..<s]) + [merged] + Array(a.shape[(e + 1)...]))
    }

    /// Axis `axis` split into axes of `sizes` (one may be -1), as `torch.unflatten`; shares
    /// memory with `a`.
    public static func unflatten(_ a: Tensor, axis: Int, sizes: [Int]) throws -> Tensor {
        guard !sizes.isEmpty else { throw EngineError.invalidArgument("unflatten: sizes must be non-empty") }
        let ax = try Shape.normalize(axis: axis, rank: a.rank, op: "unflatten")
        let length = a.shape[ax]
        let unknown = sizes.indices.filter { sizes[$0] == -1 }
        guard unknown.count <= 1, sizes.allSatisfy({ $0 >= -1 }) else {
            throw EngineError.invalidArgument("unflatten: invalid sizes \(describe(sizes)) (at most one -1, no other negatives)")
        }
        let mismatch = EngineError.shapeMismatch("unflatten: provided sizes \(describe(sizes)) don't multiply up to the size of dim \(ax) (\(length)) in the input tensor")
        var resolved = sizes
        let known = try Shape.count(sizes.filter { $0 != -1 }, op: "unflatten")
        if let u = unknown.first {
            guard known > 0, length % known == 0 else { throw mismatch }
            resolved[u] = length / known
        } else if known != length {
            throw mismatch
        }
        return try reshape(a, Array(a.shape[..<ax]) + resolved + Array(a.shape[(ax + 1)...]))
    }

    /// Axes `source` moved to positions `destination`, the others keeping their order, as
    /// `torch.movedim`.
    public static func moveAxes(_ a: Tensor, source: [Int], destination: [Int]) throws -> Tensor {
        let op = "movedim"
        guard source.count == destination.count else {
            throw EngineError.invalidArgument("movedim: source (\(source.count) dims) should contain the same number of dims as destination (\(destination.count) dims)")
        }
        let from = try source.map { try Shape.normalize(axis: $0, rank: a.rank, op: op) }
        let to = try destination.map { try Shape.normalize(axis: $0, rank: a.rank, op: op) }
        guard Set(from).count == from.count else { throw EngineError.invalidArgument("movedim: repeated dim in source \(source)") }
        guard Set(to).count == to.count else { throw EngineError.invalidArgument("movedim: repeated dim in destination \(destination)") }
        var perm = [Int](repeating: -1, count: a.rank)
        for (s, d) in zip(from, to) { perm[d] = s }
        var rest = (0..<a.rank).filter { !from.contains($0) }.makeIterator()
        for i in perm.indices where perm[i] == -1 { perm[i] = rest.next() ?? i }
        return try transpose(a, axes: perm)
    }

    /// `a` cut along `axis` into pieces of ceil(n / chunks) entries, the last one smaller when
    /// they do not divide n (so there may be fewer than `chunks` pieces; an empty axis gives
    /// `chunks` empty pieces), as `torch.chunk`.
    public static func chunk(_ a: Tensor, chunks: Int, axis: Int) throws -> [Tensor] {
        let (ax, size, count) = try chunking(a, chunks: chunks, axis: axis)
        return try split(a, boundaries: (1..<count).map { Swift.min($0 * size, a.shape[ax]) }, axis: ax)
    }

    /// The number of pieces `chunk(a, chunks:axis:)` makes (checking its arguments).
    public static func chunkCount(_ a: Tensor, chunks: Int, axis: Int) throws -> Int {
        try chunking(a, chunks: chunks, axis: axis).count
    }

    /// The most pieces `chunk` makes of an empty dimension (one per chunk, as PyTorch).
    public static let maxEmptyChunks = 1 << 16

    /// `chunk`'s normalized axis, piece length and piece count.
    private static func chunking(_ a: Tensor, chunks: Int, axis: Int) throws -> (axis: Int, size: Int, count: Int) {
        guard chunks > 0 else { throw EngineError.invalidArgument("chunk: expects chunks to be greater than 0, got \(chunks)") }
        guard a.rank > 0 else { throw EngineError.invalidArgument("chunk: expects at least a 1-dimensional tensor") }
        let ax = try Shape.normalize(axis: axis, rank: a.rank, op: "chunk")
        let n = a.shape[ax]
        let size = n / chunks + (n % chunks == 0 ? 0 : 1)
        guard size > 0 || chunks <= maxEmptyChunks else {
            throw EngineError.invalidArgument("chunk: an empty dimension gives chunks empty pieces, at most \(maxEmptyChunks), got \(chunks)")
        }
        return (ax, size, size == 0 ? chunks : n / size + (n % size == 0 ? 0 : 1))
    }

    /// A copy of `a` (its gradient passes through).
    static func copy(_ a: Tensor) throws -> Tensor {
        try index(a, [])
    }

    /// A contiguous copy of `a` with its axes in the order `perm` (no graph recorded).
    static func permuteCopy(_ a: Tensor, _ perm: [Int]) throws -> Tensor {
        let shape = perm.map { a.shape[$0] }
        let strides = Shape.strides(a.shape)
        let out = try Tensor(shape: shape, dtype: a.dtype, op: "transpose")
        Strided.copy(itemSize: a.dtype.itemSize, shape: shape,
                     from: a.storage.bytes, offset: 0, strides: perm.map { strides[$0] },
                     to: out.storage.bytes, offset: 0, strides: Shape.strides(shape))
        return out
    }

    /// Tensors joined along `axis`, as `np.concatenate` (types promoted).
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw EngineError.invalidArgument("concat: need at least one array to concatenate") }
        guard first.rank > 0 else { throw EngineError.invalidArgument("concat: zero-dimensional arrays cannot be concatenated") }
        let ax = try Shape.normalize(axis: axis, rank: first.rank, op: "concat")
        var shape = first.shape
        shape[ax] = 0
        var type = first.dtype
        for t in tensors {
            var expected = first.shape, actual = t.shape
            if actual.count == expected.count { expected[ax] = 0; actual[ax] = 0 }
            guard expected == actual else {
                throw EngineError.shapeMismatch("concat: all input array dimensions except for the concatenation axis must match exactly, got \(describe(first.shape)) and \(describe(t.shape)) along axis \(ax)")
            }
            shape[ax] += t.shape[ax]
            type = DType.promote(type, t.dtype)
        }
        let out = try Tensor(shape: shape, dtype: type, op: "concat")
        var start = 0
        var starts: [Int] = []
        for t in tensors {
            try writeSlab(try cast(t, to: type), into: out, axis: ax, start: start)
            starts.append(start)
            start += t.shape[ax]
        }
        return try out.recording("concat", tensors) { g in
            try zip(tensors, starts).map { t, s in try narrow(g, axis: ax, start: s, length: t.shape[ax]) }
        }
    }

    /// `a` cut along `axis` at the sorted `boundaries` into `boundaries.count + 1` pieces.
    public static func split(_ a: Tensor, boundaries: [Int], axis: Int) throws -> [Tensor] {
        guard a.rank > 0 else { throw EngineError.invalidArgument("split: cannot split a 0-d array") }
        let ax = try Shape.normalize(axis: axis, rank: a.rank, op: "split")
        let length = a.shape[ax]
        let points = [0] + boundaries.map { Swift.min(Swift.max($0 < 0 ? $0 + length : $0, 0), length) } + [length]
        return try (0..<(points.count - 1)).map { i in
            try narrow(a, axis: ax, start: points[i], length: Swift.max(points[i + 1] - points[i], 0))
        }
    }

    /// A copy of the `length` entries of `a` along `axis` from `start` (a checked, in-range
    /// window). The gradient is `narrowBackward`: the window's gradient, zero-padded back.
    static func narrow(_ a: Tensor, axis: Int, start: Int, length: Int) throws -> Tensor {
        let shape = a.shape
        return try readSlab(a, axis: axis, start: start, length: length).recording("narrow", [a]) { g in
            [try narrowBackward(g, shape: shape, axis: axis, start: start)]
        }
    }

    /// A zero tensor of `shape` holding `g` along `axis` from `start`: `narrow`'s backward,
    /// whose own backward is `narrow` again.
    static func narrowBackward(_ g: Tensor, shape: [Int], axis: Int, start: Int) throws -> Tensor {
        let full = try Tensor(shape: shape, dtype: g.dtype, zeroed: true, op: "narrow_backward")
        try writeSlab(g, into: full, axis: axis, start: start)
        let length = g.shape[axis]
        return try full.recording("narrow_backward", [g]) { gg in [try narrow(gg, axis: axis, start: start, length: length)] }
    }

    /// A copy of `length` entries of `a` along `axis` from `start`.
    static func readSlab(_ a: Tensor, axis: Int, start: Int, length: Int) throws -> Tensor {
        var shape = a.shape
        shape[axis] = length
        let out = try Tensor(shape: shape, dtype: a.dtype, op: "slice")
        let strides = Shape.strides(a.shape)
        Strided.copy(itemSize: a.dtype.itemSize, shape: shape,
                     from: a.storage.bytes, offset: start * strides[axis], strides: strides,
                     to: out.storage.bytes, offset: 0, strides: Shape.strides(shape))
        return out
    }

    /// Copies `piece` into `out` along `axis` from `start` (same dtype, other dims equal).
    static func writeSlab(_ piece: Tensor, into out: Tensor, axis: Int, start: Int) throws {
        let strides = Shape.strides(out.shape)
        Strided.copy(itemSize: out.dtype.itemSize, shape: piece.shape,
                     from: piece.storage.bytes, offset: 0, strides: Shape.strides(piece.shape),
                     to: out.storage.bytes, offset: start * strides[axis], strides: strides)
    }
}
