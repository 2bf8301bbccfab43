/// Data movement that ignores the element type: copies between strided layouts, and gathers
/// through offset lists. Elements are moved as 1-, 2-, 4- or 8-byte words.
enum Strided {
    /// Copies a `shape`-shaped block: element at multi-index i goes from
    /// `src[srcOffset + i·srcStrides]` to `dst[dstOffset + i·dstStrides]` (strides in elements).
    static func copy(itemSize: Int, shape: [Int],
                     from src: UnsafeRawPointer, offset srcOffset: Int, strides srcStrides: [Int],
                     to dst: UnsafeMutableRawPointer, offset dstOffset: Int, strides dstStrides: [Int]) {
        switch itemSize {
        case 1: copyWords(UInt8.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        case 2: copyWords(UInt16.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        case 4: copyWords(UInt32.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        default: copyWords(UInt64.self, shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
        }
    }

    /// Writes the one element at `src` into `count` contiguous elements at `dst` (a broadcast
    /// of a single value, with none of a strided copy's planning).
    static func fill(itemSize: Int, count: Int, from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer) {
        func run<W>(_: W.Type) {
            let value = src.load(as: W.self), d = dst.assumingMemoryBound(to: W.self)
            Parallel.forRanges(count) { range in (d + range.lowerBound).update(repeating: value, count: range.count) }
        }
        switch itemSize {
        case 1: run(UInt8.self)
        case 2: run(UInt16.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
    }

    private static func copyWords<W>(_: W.Type, _ shape: [Int],
                                     _ src: UnsafeRawPointer, _ srcOffset: Int, _ srcStrides: [Int],
                                     _ dst: UnsafeMutableRawPointer, _ dstOffset: Int, _ dstStrides: [Int]) {
        if let (across, along) = transposedAxes(shape, srcStrides, dstStrides) {
            copyInTiles(W.self, shape, across, along, src, srcOffset, srcStrides, dst, dstOffset, dstStrides)
            return
        }
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

    /// Side of the square tiles of a transposing copy: a tile of 8-byte words is 8 KB, 16 KB for
    /// source and destination together, within the L1 cache.
    static let tile = 32

    /// For a copy that transposes, the axes to tile: `across`, along which the destination is
    /// contiguous (stride 1) but the source is not, and `along`, along which the source is
    /// contiguous; nil when the copy is not like that or too small to gain from tiles. Read in
    /// the destination's order, such a copy would fetch a new cache line for every element.
    static func transposedAxes(_ shape: [Int], _ srcStrides: [Int], _ dstStrides: [Int]) -> (Int, Int)? {
        guard let across = shape.indices.last(where: { dstStrides[$0] == 1 && shape[$0] > 1 }),
              let along = shape.indices.last(where: { srcStrides[$0] == 1 && shape[$0] > 1 }),
              across != along, srcStrides[across] != 0,
              shape[across] >= tile / 4, shape[along] >= tile / 4,
              shape.reduce(1, *) >= tile * tile else { return nil }
        return (across, along)
    }

    /// The copy of `copyWords` in `tile` x `tile` blocks over the axes `across` and `along`,
    /// once for every index of the other axes; blocks are shared among the cores.
    private static func copyInTiles<W>(_: W.Type, _ shape: [Int], _ across: Int, _ along: Int,
                                       _ src: UnsafeRawPointer, _ srcOffset: Int, _ srcStrides: [Int],
                                       _ dst: UnsafeMutableRawPointer, _ dstOffset: Int, _ dstStrides: [Int]) {
        let s = src.assumingMemoryBound(to: W.self) + srcOffset
        let d = dst.assumingMemoryBound(to: W.self) + dstOffset
        let others = shape.indices.filter { $0 != across && $0 != along }
        let outer = others.reduce(1) { $0 * shape[$1] }
        let (n, m) = (shape[across], shape[along])
        let (srcAcross, dstAlong) = (srcStrides[across], dstStrides[along])
        let tilesAlong = (m + tile - 1) / tile
        // One task: an index of the other axes and a band of `tile` positions along `along`.
        Parallel.forRanges(outer * tilesAlong, grain: max(1, Parallel.minimumElements / (tile * n))) { tasks in
            for task in tasks {
                var rest = task / tilesAlong, from = s, to = d
                for axis in others.reversed() {
                    let i = rest % shape[axis]
                    rest /= shape[axis]
                    from += i * srcStrides[axis]
                    to += i * dstStrides[axis]
                }
                let bandStart = task % tilesAlong * tile, bandEnd = min(bandStart + tile, m)
                for blockStart in stride(from: 0, to: n, by: tile) {
                    let blockEnd = min(blockStart + tile, n)
                    for j in bandStart..<bandEnd {
                        let source = from + j, target = to + j * dstAlong
                        for i in blockStart..<blockEnd { target[i] = source[i * srcAcross] }
                    }
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
        case 2: run(UInt16.self)
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
        case 2: run(UInt16.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
    }
}
