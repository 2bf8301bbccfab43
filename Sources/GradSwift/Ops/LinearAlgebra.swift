extension Ops {
    /// Matrix product with `np.matmul`'s rules: 1-D operands are promoted to a row (left) or a
    /// column (right) and the added axis removed from the result; leading axes broadcast as
    /// batch dimensions. Float products go through OpenBLAS.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 1 && b.rank >= 1 else {
            throw EngineError.invalidArgument("matmul: input operands must have at least one dimension, got shapes \(describe(a.shape)) and \(describe(b.shape))")
        }
        let type = DType.promote(a.dtype, b.dtype)
        // Bools multiply as 0/1 integers, float16 in float32 and narrow integers in int64.
        var x = try cast(a, to: type == .bool ? .int64 : type.computeType), y = try cast(b, to: x.dtype)
        if a.rank == 1 { x = try reshape(x, [1, a.shape[0]]) }
        if b.rank == 1 { y = try reshape(y, [b.shape[0], 1]) }
        guard x.shape[x.rank - 1] == y.shape[y.rank - 2] else {
            throw EngineError.shapeMismatch("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) are not aligned: \(x.shape[x.rank - 1]) (dim \(a.rank - 1)) != \(y.shape[y.rank - 2]) (dim \(max(b.rank - 2, 0)))")
        }
        var out = try matmul(x, y, transposeA: false, transposeB: false)
        if a.rank == 1 || b.rank == 1 {
            var shape = out.shape
            if b.rank == 1 { shape.removeLast() }
            if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
            out = try reshape(out, shape)
        }
        return out.dtype == type ? out : try cast(out, to: type)
    }

    /// `op(a) @ op(b)` over broadcast batch axes, where `op` transposes the last two axes when
    /// its flag is set (no copy: BLAS reads the operand transposed). Both operands have rank >= 2
    /// and one dtype. Its gradients are products of the same kind:
    /// d op(a) = g·op(b)ᵀ and d op(b) = op(a)ᵀ·g.
    static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        let out = try batchedProduct(a, transposeA, b, transposeB)
        return try out.recording("matmul", [a, b]) { g in
            var ga: Tensor?, gb: Tensor?
            if a.requiresGrad {
                ga = transposeA ? try matmul(b, g, transposeA: transposeB, transposeB: true)
                                : try matmul(g, b, transposeA: false, transposeB: !transposeB)
            }
            if b.requiresGrad {
                gb = transposeB ? try matmul(g, a, transposeA: true, transposeB: transposeA)
                                : try matmul(a, g, transposeA: !transposeA, transposeB: false)
            }
            return [ga, gb]
        }
    }

    /// `op(x) @ op(y)` over broadcast batch axes, where `op` transposes the last two axes when
    /// its flag is set. Both operands have rank >= 2 and the same dtype.
    static func batchedProduct(_ x: Tensor, _ transX: Bool, _ y: Tensor, _ transY: Bool) throws -> Tensor {
        let xr = x.shape[x.rank - 2], xc = x.shape[x.rank - 1]
        let yr = y.shape[y.rank - 2], yc = y.shape[y.rank - 1]
        let (n, k, m) = (transX ? xc : xr, transX ? xr : xc, transY ? yr : yc)
        let batchX = Array(x.shape.dropLast(2)), batchY = Array(y.shape.dropLast(2))
        guard let batch = try? Shape.broadcast(batchX, batchY, op: "matmul") else {
            throw EngineError.shapeMismatch("matmul: batch dimensions of \(describe(x.shape)) and \(describe(y.shape)) cannot be broadcast together")
        }
        let out = try Tensor(shape: batch + [n, m], dtype: x.dtype, zeroed: k == 0, op: "matmul")
        let batches = batch.reduce(1, *)
        guard n > 0 && m > 0 && k > 0 && batches > 0 else { return out }
        guard [n, k, m, xr, xc, yr, yc].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw EngineError.outOfMemory("matmul: matrix dimensions above 2^31 - 1 are not supported (\(describe(x.shape)) @ \(describe(y.shape)))")
        }
        if batchY.isEmpty && !transX && batches * n <= Int(Int32.max) {
            // The rows of every batch of x form one tall matrix: a single product.
            product(x.dtype, false, transY, batches * n, m, k, x.storage.bytes, 0, y.storage.bytes, 0, out.storage.bytes, 0)
            return out
        }
        let plan = ElementwisePlan(shape: batch.isEmpty ? [1] : batch,
                                   operandShapes: [batch.isEmpty ? [1] : batchX, batch.isEmpty ? [1] : batchY])
        let stepX = plan.step(0), stepY = plan.step(1)
        // Products too small to be split each (`ProductSplit`) are shared among the cores in
        // chunks of batches (attention's 512 products of 44 x 128 x 44 ran serially).
        let work = n * m * k
        Parallel.forChunks(batches, grain: work < ProductSplit.minimumWork ? max(1, chunkWork / work) : batches) { range in
            plan.forEachRun(in: range) { start, off, length in
                for i in 0..<length {
                    product(x.dtype, transX, transY, n, m, k,
                            x.storage.bytes, (off.0 + i * stepX) * xr * xc,
                            y.storage.bytes, (off.1 + i * stepY) * yr * yc,
                            out.storage.bytes, (start + i) * n * m)
                }
            }
        }
        return out
    }

    /// The least multiply-adds worth a chunk of their own in a batch of small products.
    static let chunkWork = 1 << 20

    /// `C = op(A) @ op(B)` for densely stored row-major matrices at the given element offsets
    /// of three buffers of dtype `type` (A is n×k or k×n when transposed, B is k×m or m×k, C is
    /// n×m): float types through `BLASScalar.gemm`, int64 by a wrapping triple loop.
    private static func product(_ type: DType, _ transA: Bool, _ transB: Bool, _ n: Int, _ m: Int, _ k: Int,
                                _ a: UnsafeMutableRawPointer, _ aOffset: Int,
                                _ b: UnsafeMutableRawPointer, _ bOffset: Int,
                                _ c: UnsafeMutableRawPointer, _ cOffset: Int) {
        switch type {
        case .float32:
            Float.gemm(transA, transB, n, m, k, a.assumingMemoryBound(to: Float.self) + aOffset,
                       b.assumingMemoryBound(to: Float.self) + bOffset, beta: 0, c.assumingMemoryBound(to: Float.self) + cOffset)
        case .float64:
            Double.gemm(transA, transB, n, m, k, a.assumingMemoryBound(to: Double.self) + aOffset,
                        b.assumingMemoryBound(to: Double.self) + bOffset, beta: 0, c.assumingMemoryBound(to: Double.self) + cOffset)
        default:
            let pa = a.assumingMemoryBound(to: Int64.self) + aOffset
            let pb = b.assumingMemoryBound(to: Int64.self) + bOffset
            let pc = c.assumingMemoryBound(to: Int64.self) + cOffset
            for i in 0..<n {
                for j in 0..<m {
                    var sum: Int64 = 0
                    for p in 0..<k {
                        sum &+= pa[transA ? p * n + i : i * k + p] &* pb[transB ? j * k + p : p * m + j]
                    }
                    pc[i * m + j] = sum
                }
            }
        }
    }
}

// MARK: - Products and diagonals built on matmul

extension Ops {
    /// The inner product of two 1-D tensors of one dtype and length (`torch.dot`), a 0-d tensor.
    public static func dot(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let op = "dot"
        guard a.rank == 1 && b.rank == 1 else {
            throw EngineError.invalidArgument("\(op): 1D tensors expected, but got \(a.rank)D and \(b.rank)D tensors")
        }
        try sameDType(a, b, op: op)
        guard a.count == b.count else {
            throw EngineError.shapeMismatch("\(op): inconsistent tensor size, expected tensors of the same number of elements, but got \(a.count) and \(b.count) elements")
        }
        return try matmul(a, b)
    }

    /// The outer product `a[i] * b[j]` of two 1-D tensors (`torch.outer`; dtypes promoted).
    public static func outer(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank == 1 && b.rank == 1 else {
            throw EngineError.invalidArgument("outer: expected 1-D arguments, but got \(a.rank)-D and \(b.rank)-D")
        }
        return try mul(reshape(a, [a.count, 1]), reshape(b, [1, b.count]))
    }

    /// Batched matrix product of two 3-D tensors of one dtype, (b, n, k) @ (b, k, m)
    /// (`torch.bmm`: no broadcasting).
    public static func bmm(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let op = "bmm"
        guard a.rank == 3 else { throw EngineError.invalidArgument("\(op): batch1 must be a 3D tensor, got \(a.rank)D") }
        guard b.rank == 3 else { throw EngineError.invalidArgument("\(op): batch2 must be a 3D tensor, got \(b.rank)D") }
        try sameDType(a, b, op: op)
        guard b.shape[0] == a.shape[0] && b.shape[1] == a.shape[2] else {
            throw EngineError.shapeMismatch("\(op): expected size for first two dimensions of batch2 tensor to be: [\(a.shape[0]), \(a.shape[2])] but got: [\(b.shape[0]), \(b.shape[1])]")
        }
        return try matmul(a, b)
    }

    /// Contraction of `dimsA` of `a` with `dimsB` of `b`, pairwise (`torch.tensordot` with a
    /// pair of lists): the result has a's remaining dimensions, then b's. One matrix product
    /// after moving the contracted dimensions together.
    public static func tensordot(_ a: Tensor, _ b: Tensor, dimsA: [Int], dimsB: [Int]) throws -> Tensor {
        let op = "tensordot"
        guard dimsA.count == dimsB.count else {
            throw EngineError.invalidArgument("\(op): both dimension lists should have same length, got \(dimsA.count) and \(dimsB.count)")
        }
        try sameDType(a, b, op: op)
        func normalized(_ dims: [Int], _ t: Tensor) throws -> [Int] {
            if let first = dims.first, t.rank == 0 {
                throw EngineError.index("\(op): dimension specified as \(first) but tensor has no dimensions")
            }
            let axes = try dims.map { try dimension($0, rank: t.rank, op: op) }
            if let repeated = axes.enumerated().first(where: { axes[..<$0.offset].contains($0.element) }) {
                throw EngineError.invalidArgument("\(op): dim \(repeated.element) appears multiple times in the list of dims")
            }
            return axes
        }
        let ca = try normalized(dimsA, a), cb = try normalized(dimsB, b)
        for (x, y) in zip(ca, cb) where a.shape[x] != b.shape[y] {
            throw EngineError.shapeMismatch("\(op): contracted dimensions need to match, but first has size \(a.shape[x]) in dim \(x) and second has size \(b.shape[y]) in dim \(y)")
        }
        let freeA = (0..<a.rank).filter { !ca.contains($0) }, freeB = (0..<b.rank).filter { !cb.contains($0) }
        let k = ca.reduce(1) { $0 * a.shape[$1] }
        let m = freeA.reduce(1) { $0 * a.shape[$1] }, n = freeB.reduce(1) { $0 * b.shape[$1] }
        let x = try reshape(permuted(a, freeA + ca), [m, k])
        let y = try reshape(permuted(b, cb + freeB), [k, n])
        return try reshape(matmul(x, y), freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
    }

    /// `a` with its axes in the order `perm`, without a copy when that order is the identity.
    static func permuted(_ a: Tensor, _ perm: [Int]) throws -> Tensor {
        perm == Array(0..<a.rank) ? a : try transpose(a, axes: perm)
    }

    /// Fails unless `a` and `b` share a dtype (PyTorch's products do not promote).
    private static func sameDType(_ a: Tensor, _ b: Tensor, op: String) throws {
        guard a.dtype == b.dtype else {
            throw EngineError.dtype("\(op): expected both operands to have the same dtype, but found \(a.dtype.name) and \(b.dtype.name)")
        }
    }

    /// The diagonal of `a` in dimensions `dim1` and `dim2`, shifted by `offset` (above the main
    /// diagonal when positive), as a last dimension after the others (`torch.diagonal`). The
    /// gradient places the output gradient back on that diagonal of a zero tensor (the
    /// embedding adjoint), whose own gradient is this extraction again.
    public static func diagonal(_ a: Tensor, offset: Int = 0, dim1: Int = 0, dim2: Int = 1) throws -> Tensor {
        let op = "diagonal"
        guard a.rank >= 2 else {
            throw EngineError.invalidArgument("\(op): expected a tensor of at least 2 dimensions, got \(a.rank)")
        }
        let d1 = try dimension(dim1, rank: a.rank, op: op), d2 = try dimension(dim2, rank: a.rank, op: op)
        guard d1 != d2 else { throw EngineError.invalidArgument("\(op): diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let strides = Shape.strides(a.shape)
        let (rows, columns) = (a.shape[d1], a.shape[d2])
        // Entry k of the diagonal sits at row k + first.row, column k + first.column.
        let (firstRow, firstColumn) = offset >= 0 ? (0, offset) : (offset.magnitude > UInt(rows) ? rows : -offset, 0)
        let length = offset >= 0 ? Swift.max(0, Swift.min(rows, columns - Swift.min(offset, columns)))
                                 : Swift.max(0, Swift.min(rows - firstRow, columns))
        let others = (0..<a.rank).filter { $0 != d1 && $0 != d2 }
        let outShape = others.map { a.shape[$0] } + [length]
        var offsets = [Int]()
        offsets.reserveCapacity(try Shape.count(outShape, op: op))
        let start = length == 0 ? 0 : firstRow * strides[d1] + firstColumn * strides[d2]
        let step = strides[d1] + strides[d2]
        var position = [Int](repeating: 0, count: others.count)
        let outer = others.reduce(1) { $0 * a.shape[$1] }
        for _ in 0..<(length == 0 ? 0 : outer) {
            let base = zip(position, others).reduce(start) { $0 + $1.0 * strides[$1.1] }
            for k in 0..<length { offsets.append(base + k * step) }
            var d = others.count - 1
            while d >= 0 {
                position[d] += 1
                if position[d] < a.shape[others[d]] { break }
                position[d] = 0
                d -= 1
            }
        }
        return try gather(a, Selection(shape: outShape, offsets: offsets, base: 0, strides: []), op: op)
    }

    /// `torch.diag`: a 1-D `a` becomes the square matrix with `a` on its `k`-th diagonal (above
    /// the main one when positive), zeros elsewhere; a 2-D `a` gives its `k`-th diagonal.
    public static func diag(_ a: Tensor, k: Int = 0) throws -> Tensor {
        let op = "diag"
        switch a.rank {
        case 1:
            let n = a.count
            guard k.magnitude <= UInt(Int32.max) && n <= Int(Int32.max) else {
                throw EngineError.invalidArgument("\(op): diagonal \(k) of a \(n)-element vector is too large")
            }
            let size = n + Swift.abs(k)
            _ = try Shape.count([size, size], op: op)
            let (row, column) = (Swift.max(0, -k), Swift.max(0, k))
            let offsets = (0..<n).map { ($0 + row) * size + $0 + column }
            return try scatter(a, Selection(shape: [n], offsets: offsets, base: 0, strides: []), into: [size, size], op: op)
        case 2:
            return try diagonal(a, offset: k, dim1: 0, dim2: 1)
        default:
            throw EngineError.invalidArgument("\(op): supports 1D or 2D tensors, got \(a.rank)D")
        }
    }

    /// The sum of the main diagonal of a 2-D tensor (`torch.trace`; ints and bools sum to int64).
    public static func trace(_ a: Tensor) throws -> Tensor {
        guard a.rank == 2 else { throw EngineError.invalidArgument("trace: expected a matrix, but got tensor with dim \(a.rank)") }
        return try sum(diagonal(a))
    }
}
