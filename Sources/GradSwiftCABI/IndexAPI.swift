import GradSwift

/// `a[key]` with NumPy indexing rules. `key` holds `nitems` items of four int64 each,
/// `[kind, v0, v1, v2]`: kind 0 integer (v0), 1 slice (v0 start, v1 stop, v2 step; INT64_MIN
/// means None), 2 newaxis, 3 ellipsis, 4 tensor (v0 = handle of an int64 or bool tensor).
@c(gs_index)
public func gsIndex(_ a: UInt64, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ result: UnsafeMutablePointer<UInt64>?) -> Int32 {
    producing("gs_index", result) {
        try Ops.index(try tensor(a, "gs_index", "a"), try indexKey(key, nitems, "gs_index"))
    }
}

/// `a[key] = value` in place (value broadcast to the selection and cast to a's dtype).
@c(gs_index_put)
public func gsIndexPut(_ a: UInt64, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ value: UInt64) -> Int32 {
    guarded {
        let op = "gs_index_put"
        try Ops.indexPut(try tensor(a, op, "a"), try indexKey(key, nitems, op), try tensor(value, op, "value"))
    }
}

/// `a[key] = scalar` in place.
@c(gs_index_put_scalar)
public func gsIndexPutScalar(_ a: UInt64, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ value: Double) -> Int32 {
    guarded {
        let op = "gs_index_put_scalar"
        let t = try tensor(a, op, "a")
        try Ops.indexPut(t, try indexKey(key, nitems, op), try Tensor.scalar(value, dtype: .float64))
    }
}

/// Decodes an index key (see gs_index).
private func indexKey(_ key: UnsafePointer<Int64>?, _ nitems: Int32, _ op: String) throws -> [IndexItem] {
    guard nitems >= 0 && nitems <= 64 else { throw CallError.invalid("\(op): nitems \(nitems) is outside 0...64") }
    let raw = try readInts(key, nitems * 4, op, "key", limit: 4 * 64)
    func optional(_ v: Int) -> Int? { v == Int(Int64.min) ? nil : v }
    return try stride(from: 0, to: raw.count, by: 4).map { i in
        switch raw[i] {
        case 0: return .int(raw[i + 1])
        case 1: return .slice(start: optional(raw[i + 1]), stop: optional(raw[i + 2]), step: optional(raw[i + 3]))
        case 2: return .newAxis
        case 3: return .ellipsis
        case 4: return .tensor(try tensor(UInt64(bitPattern: Int64(raw[i + 1])), op, "key tensor"))
        default: throw CallError.invalid("\(op): unknown index item kind \(raw[i]) (0 int, 1 slice, 2 newaxis, 3 ellipsis, 4 tensor)")
        }
    }
}
