/// Triangular parts of matrices: `torch.tril` and `torch.triu` over the last two axes, written
/// with `where` so the gradient passes to the kept entries and differentiates again.
extension Ops {
    /// `a` with the entries above diagonal `diagonal` of its last two axes set to zero (0: the
    /// main diagonal, positive: above it, negative: below), as `torch.tril`.
    public static func tril(_ a: Tensor, diagonal: Int = 0) throws -> Tensor {
        try triangle(a, diagonal, lower: true)
    }

    /// `a` with the entries below diagonal `diagonal` of its last two axes set to zero, as
    /// `torch.triu`.
    public static func triu(_ a: Tensor, diagonal: Int = 0) throws -> Tensor {
        try triangle(a, diagonal, lower: false)
    }

    /// `a` where a (rows, columns) mask of the kept triangle holds, zero elsewhere.
    private static func triangle(_ a: Tensor, _ diagonal: Int, lower: Bool) throws -> Tensor {
        let op = lower ? "tril" : "triu"
        guard a.rank >= 2 else {
            throw EngineError.invalidArgument("\(op): input tensor must have at least 2 dimensions, got \(a.rank)")
        }
        let rows = a.shape[a.rank - 2], columns = a.shape[a.rank - 1]
        let mask = try Tensor(shape: [rows, columns], dtype: .bool, op: op)
        let m = mask.pointer(Bool.self)
        for i in 0..<rows {
            for j in 0..<columns { m[i * columns + j] = lower ? j - i <= diagonal : j - i >= diagonal }
        }
        return try Ops.where(mask, a, try Tensor.scalar(0, dtype: a.dtype))
    }
}
