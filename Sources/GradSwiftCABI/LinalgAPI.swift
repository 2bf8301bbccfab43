import CHandles
import GradSwift

// Products, contractions and diagonals beyond matmul (Ops/LinearAlgebra.swift, Ops/Einsum.swift).
// PyTorch's products do not promote: dot, bmm, tensordot and einsum need operands of one dtype.

/// Einstein summation of `count` (at least 1) operands by `equation` (a NUL-terminated string such as
/// "ij,jk->ik"; torch.einsum). The caller owns `*result`.
@c(gs_einsum)
public func gsEinsum(_ equation: UnsafePointer<CChar>?, _ operands: UnsafePointer<gs_tensor>?, _ count: Int32,
                     _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_einsum"
    return producing(op, result) {
        let text = try readString(equation, op, "equation")
        guard count >= 0 && count <= 1024 else { throw CallError.invalid("\(op): count \(count) is outside 0...1024") }
        var list: [Tensor] = []
        if count > 0 {
            guard let operands else { throw CallError.null(op, "operands") }
            list = try (0..<Int(count)).map { try tensor(operands[$0], op, "operands[\($0)]") }
        }
        return try Ops.einsum(text, list)
    }
}

/// The contraction of dimensions `dims_a[i]` of `a` with `dims_b[i]` of `b` (torch.tensordot
/// with two lists; both counts equal). The caller owns `*result`.
@c(gs_tensordot)
public func gsTensordot(_ a: gs_tensor, _ b: gs_tensor, _ dimsA: UnsafePointer<Int64>?, _ ndimsA: Int32,
                        _ dimsB: UnsafePointer<Int64>?, _ ndimsB: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    let op = "gs_tensordot"
    return producing(op, result) {
        try Ops.tensordot(try tensor(a, op, "a"), try tensor(b, op, "b"),
                          dimsA: try readInts(dimsA, ndimsA, op, "dims_a"), dimsB: try readInts(dimsB, ndimsB, op, "dims_b"))
    }
}

/// The outer product of two 1-D tensors (torch.outer; dtypes promoted). The caller owns `*result`.
@c(gs_outer)
public func gsOuter(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_outer", result) { try Ops.outer(try tensor(a, "gs_outer", "a"), try tensor(b, "gs_outer", "b")) }
}

/// The inner product of two 1-D tensors of one length and dtype, 0-d (torch.dot). The caller
/// owns `*result`.
@c(gs_dot)
public func gsDot(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_dot", result) { try Ops.dot(try tensor(a, "gs_dot", "a"), try tensor(b, "gs_dot", "b")) }
}

/// Batched matrix product of two 3-D tensors (b, n, k) @ (b, k, m) of one dtype (torch.bmm).
/// The caller owns `*result`.
@c(gs_bmm)
public func gsBmm(_ a: gs_tensor, _ b: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_bmm", result) { try Ops.bmm(try tensor(a, "gs_bmm", "a"), try tensor(b, "gs_bmm", "b")) }
}

/// The diagonal of `a` in dimensions `dim1`, `dim2` shifted by `offset`, as a last dimension
/// (torch.diagonal). The caller owns `*result`.
@c(gs_diagonal)
public func gsDiagonal(_ a: gs_tensor, _ offset: Int64, _ dim1: Int64, _ dim2: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_diagonal", result) {
        try Ops.diagonal(try tensor(a, "gs_diagonal", "a"), offset: Int(offset), dim1: Int(dim1), dim2: Int(dim2))
    }
}

/// torch.diag: a 1-D `a` on the `k`-th diagonal of a square zero matrix; a 2-D `a`'s `k`-th
/// diagonal. The caller owns `*result`.
@c(gs_diag)
public func gsDiag(_ a: gs_tensor, _ k: Int64, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_diag", result) { try Ops.diag(try tensor(a, "gs_diag", "a"), k: Int(k)) }
}

/// The sum of the main diagonal of a 2-D tensor (torch.trace). The caller owns `*result`.
@c(gs_trace)
public func gsTrace(_ a: gs_tensor, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_trace", result) { try Ops.trace(try tensor(a, "gs_trace", "a")) }
}
