/// Data movement that ignores the element type: copies between strided layouts, and gathers
/// through offset lists. Elements are moved as 1-, 4- or 8-byte words.
enum Strided {
    /// Copies a `shape`-shaped block: element at multi-index i goes from
    /// `src[srcOffset + i·srcStrides]` to `dst[dstOffset + i·dstStrides]` (strides in elements).
    static func copy(itemSize: Int, shape: [Int],
                     from src: UnsafeRawPointer, offset srcOffset: Int, strides srcStrides: [Int],
                     to dst: UnsafeMutableRawPointer, offset dstOffset: Int, strides dstStrides: [Int]) {
        switch itemSize {
        case 1: copyWords(UInt8.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        case 4: copyWords(UInt32.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        default: copyWords(UInt64.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        }
    }

    private static func copyWords<W>(_: W.Type, _ shape: [Int],
                                     _ src: UnsafeRawPointer, _ srcOffset: Int, _ srcStrides: [Int],
                                     _ dst: UnsafeMutableRawPointer, _ dstOffset: Int, _ dstStrides: [Int]) {
        let plan = ElementwisePlan(shape: shape, strides: [srcStrides, dstStrides])
        let s = src.assumingMemoryBound(to: W.self) + srcOffset
        let d = dst.assumingMemoryBound(to: W.self) + dstOffset
        let ss = plan.step(0), ds = plan.step(1)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { _, off, length in
                let from = s + off.0, to = d + off.1
                if ss == 1 && ds == 1 {
                    to.update(from: from, count: length)
                } else {
                    for i in 0..<length { to[i &* ds] = from[i &* ss] }
                }
            }
        }
    }

    /// `dst[i] = src[offsets[i]]` for every i.
    static func gather(itemSize: Int, from src: UnsafeRawPointer, offsets: [Int], to dst: UnsafeMutableRawPointer) {
        func run<W>(_: W.Type) {
            let s = src.assumingMemoryBound(to: W.self), d = dst.assumingMemoryBound(to: W.self)
            for (i, o) in offsets.enumerated() { d[i] = s[o] }
        }
        switch itemSize {
        case 1: run(UInt8.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
    }

    /// `dst[offsets[i]] = src[i]` for every i, in order (the last write wins).
    static func scatter(itemSize: Int, from src: UnsafeRawPointer, offsets: [Int], to dst: UnsafeMutableRawPointer) {
        func run<W>(_: W.Type) {
            let s = src.assumingMemoryBound(to: W.self), d = dst.assumingMemoryBound(to: W.self)
            for (i, o) in offsets.enumerated() { d[o] = s[i] }
        }
        switch itemSize {
        case 1: run(UInt8.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
    }
}
