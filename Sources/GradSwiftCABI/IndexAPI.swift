import CHandles
import GradSwift

/// The kinds of index key items (the first of each item's four int64 in gs_index's `key`).
@c public enum gs_index_item: Int32 {
    /// An integer position: v0.
    case integer = 0
    /// A slice: v0 start, v1 stop, v2 step; INT64_MIN means None.
    case slice = 1
    /// None: a new axis of size 1.
    case newaxis = 2
    /// `...`: as many full slices as needed.
    case ellipsis = 3
    /// An int64 or bool tensor: v0 is its handle.
    case tensor = 4
}

/// `a[key]` with NumPy indexing rules. `key` holds `nitems` items of four int64 each,
/// `[kind, v0, v1, v2]`, kind a gs_index_item code.
@c(gs_index)
public func gsIndex(_ a: gs_tensor, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ result: UnsafeMutablePointer<gs_tensor>?) -> Int32 {
    producing("gs_index", result) {
        try Ops.index(try tensor(a, "gs_index", "a"), try indexKey(key, nitems, "gs_index"))
    }
}

/// `a[key] = value` in place (value broadcast to the selection and cast to a's dtype).
@c(gs_index_put)
public func gsIndexPut(_ a: gs_tensor, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ value: gs_tensor) -> Int32 {
    guarded("gs_index_put") {
        let op = "gs_index_put"
        try Ops.indexPut(try tensor(a, op, "a"), try indexKey(key, nitems, op), try tensor(value, op, "value"))
    }
}

/// `a[key] = scalar` in place.
@c(gs_index_put_scalar)
public func gsIndexPutScalar(_ a: gs_tensor, _ key: UnsafePointer<Int64>?, _ nitems: Int32, _ value: Double) -> Int32 {
    guarded("gs_index_put_scalar") {
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
        guard let kind = Int32(exactly: raw[i]).flatMap(gs_index_item.init(rawValue:)) else {
            throw CallError.invalid("\(op): unknown index item kind \(raw[i]) (0 int, 1 slice, 2 newaxis, 3 ellipsis, 4 tensor)")
        }
        switch kind {
        case .integer: return .int(raw[i + 1])
        case .slice: return .slice(start: optional(raw[i + 1]), stop: optional(raw[i + 2]), step: optional(raw[i + 3]))
        case .newaxis: return .newAxis
        case .ellipsis: return .ellipsis
        case .tensor: return .tensor(try tensor(gs_tensor(id: UInt64(bitPattern: Int64(raw[i + 1]))), op, "key tensor"))
        }
    }
}
