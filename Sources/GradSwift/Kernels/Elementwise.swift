/// A loop over the elements of a result of shape `shape` reading up to three operands through
/// broadcast strides. Adjacent axes that are contiguous for every operand are merged, so
/// same-shape operands become one flat run and broadcasting never copies.
struct ElementwisePlan {
    /// Merged result shape (at least one axis).
    private var shape: [Int]
    /// Element strides of each operand over `shape`; 0 on broadcast axes.
    private var strides: [[Int]]
    /// Number of result elements.
    let count: Int

    /// A plan reading operands of `operandShapes`, each broadcastable to `shape`.
    init(shape: [Int], operandShapes: [[Int]]) {
        self.init(shape: shape, strides: operandShapes.map { Shape.broadcastStrides($0, to: shape) })
    }

    /// A plan reading operands through explicit element strides over `shape`.
    init(shape: [Int], strides operandStrides: [[Int]]) {
        var strides = operandStrides
        var merged: [Int] = []
        var mergedStrides: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let last = merged.indices.last,
               strides.indices.allSatisfy({ mergedStrides[$0][last] == strides[$0][axis] * shape[axis] }) {
                merged[last] *= shape[axis]
                for k in strides.indices { mergedStrides[k][last] = strides[k][axis] }
            } else {
                merged.append(shape[axis])
                for k in strides.indices { mergedStrides[k].append(strides[k][axis]) }
            }
        }
        if merged.isEmpty {
            merged = [1]
            mergedStrides = strides.map { _ in [0] }
        }
        strides = mergedStrides
        self.shape = merged
        self.strides = strides
        self.count = merged.reduce(1, *)
    }

    /// The stride of operand `k` along the innermost (run) axis.
    @inline(__always)
    func step(_ k: Int) -> Int { k < strides.count ? strides[k][shape.count - 1] : 0 }

    /// Calls `body(resultStart, offsets, length)` for each innermost run intersecting `range`
    /// of result indices; `offsets` are the operands' element offsets at the run's start.
    @inline(__always)
    func forEachRun(in range: Range<Int>, _ body: (Int, (Int, Int, Int), Int) -> Void) {
        let rank = shape.count, inner = shape[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var rest = range.lowerBound
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        var position = range.lowerBound
        while position < range.upperBound {
            var offsets = (0, 0, 0)
            for axis in 0..<rank {
                if strides.count > 0 { offsets.0 += index[axis] * strides[0][axis] }
                if strides.count > 1 { offsets.1 += index[axis] * strides[1][axis] }
                if strides.count > 2 { offsets.2 += index[axis] * strides[2][axis] }
            }
            let length = min(inner - index[rank - 1], range.upperBound - position)
            body(position, offsets, length)
            position += length
            index[rank - 1] += length
            var axis = rank - 1
            while axis > 0 && index[axis] == shape[axis] {
                index[axis] = 0
                axis -= 1
                index[axis] += 1
            }
        }
    }
}

/// Elementwise loops generic over element types; `@inline(__always)` lets each call site
/// specialise them with its own closure, so the inner loops compile to tight code.
enum Elementwise {
    /// `out[i] = f(a[i])` with `a` broadcast to `out`'s shape.
    @inline(__always)
    static func map<A, R>(_ a: Tensor, _ out: Tensor, _ f: (A) -> R) {
        if out.count < Parallel.minimumElements && a.shape == out.shape {
            let pa = a.pointer(A.self), po = out.pointer(R.self)
            for i in 0..<out.count { po[i] = f(pa[i]) }
            return
        }
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape])
        let pa = a.pointer(A.self), po = out.pointer(R.self)
        let sa = plan.step(0)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                if sa == 1 {
                    for i in 0..<length { po[start + i] = f(pa[off.0 + i]) }
                } else {
                    for i in 0..<length { po[start + i] = f(pa[off.0 + i * sa]) }
                }
            }
        }
    }

    /// `out[i] = f(a[i], b[i])` with both operands broadcast to `out`'s shape.
    @inline(__always)
    static func map<A, B, R>(_ a: Tensor, _ b: Tensor, _ out: Tensor, _ f: (A, B) -> R) {
        if out.count < Parallel.minimumElements && a.shape == out.shape && b.shape == out.shape {
            let pa = a.pointer(A.self), pb = b.pointer(B.self), po = out.pointer(R.self)
            for i in 0..<out.count { po[i] = f(pa[i], pb[i]) }
            return
        }
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape, b.shape])
        let pa = a.pointer(A.self), pb = b.pointer(B.self), po = out.pointer(R.self)
        let sa = plan.step(0), sb = plan.step(1)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                if sa == 1 && sb == 1 {
                    for i in 0..<length { po[start + i] = f(pa[off.0 + i], pb[off.1 + i]) }
                } else if sb == 0 {
                    let y = pb[off.1]
                    for i in 0..<length { po[start + i] = f(pa[off.0 + i * sa], y) }
                } else if sa == 0 {
                    let x = pa[off.0]
                    for i in 0..<length { po[start + i] = f(x, pb[off.1 + i * sb]) }
                } else {
                    for i in 0..<length { po[start + i] = f(pa[off.0 + i * sa], pb[off.1 + i * sb]) }
                }
            }
        }
    }

    /// `out[i] = f(a[i], b[i], c[i])` with all operands broadcast to `out`'s shape.
    @inline(__always)
    static func map<A, B, C, R>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ out: Tensor, _ f: (A, B, C) -> R) {
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape, b.shape, c.shape])
        let pa = a.pointer(A.self), pb = b.pointer(B.self), pc = c.pointer(C.self), po = out.pointer(R.self)
        let sa = plan.step(0), sb = plan.step(1), sc = plan.step(2)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                for i in 0..<length {
                    po[start + i] = f(pa[off.0 + i * sa], pb[off.1 + i * sb], pc[off.2 + i * sc])
                }
            }
        }
    }
}
