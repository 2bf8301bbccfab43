extension Ops {
    /// Matrix product with `np.matmul`'s rules: 1-D operands are promoted to a row (left) or a
    /// column (right) and the added axis removed from the result; leading axes broadcast as
    /// batch dimensions. Float products go through OpenBLAS.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 1 && b.rank >= 1 else {
            throw EngineError.invalidArgument("matmul: input operands must have at least one dimension, got shapes \(describe(a.shape)) and \(describe(b.shape))")
        }
        let type = DType.promote(a.dtype, b.dtype)
        var x = try cast(a, to: type == .bool ? .int64 : type), y = try cast(b, to: x.dtype)
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
        return type == .bool ? try cast(out, to: .bool) : out
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
        plan.forEachRun(in: 0..<batches) { start, off, length in
            for i in 0..<length {
                product(x.dtype, transX, transY, n, m, k,
                        x.storage.bytes, (off.0 + i * stepX) * xr * xc,
                        y.storage.bytes, (off.1 + i * stepY) * yr * yc,
                        out.storage.bytes, (start + i) * n * m)
            }
        }
        return out
    }

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
