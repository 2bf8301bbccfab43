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
        guard !range.isEmpty else { return }
        let rank = shape.count, inner = shape[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var rest = range.lowerBound
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        // Each operand's strides, zeros for an absent operand; the offsets follow the index
        // (a run's start costs a few additions, not a sum over every axis).
        let none = [Int](repeating: 0, count: rank)
        let s0 = strides.count > 0 ? strides[0] : none, s1 = strides.count > 1 ? strides[1] : none
        let s2 = strides.count > 2 ? strides[2] : none
        var offsets = (0, 0, 0)
        for axis in 0..<rank {
            offsets.0 += index[axis] * s0[axis]
            offsets.1 += index[axis] * s1[axis]
            offsets.2 += index[axis] * s2[axis]
        }
        var position = range.lowerBound
        while position < range.upperBound {
            let length = min(inner - index[rank - 1], range.upperBound - position)
            body(position, offsets, length)
            position += length
            index[rank - 1] += length
            offsets.0 += length * s0[rank - 1]
            offsets.1 += length * s1[rank - 1]
            offsets.2 += length * s2[rank - 1]
            var axis = rank - 1
            while axis > 0 && index[axis] == shape[axis] {
                index[axis] = 0
                offsets.0 -= shape[axis] * s0[axis]
                offsets.1 -= shape[axis] * s1[axis]
                offsets.2 -= shape[axis] * s2[axis]
                axis -= 1
                index[axis] += 1
                offsets.0 += s0[axis]
                offsets.1 += s1[axis]
                offsets.2 += s2[axis]
            }
        }
    }
}

/// An elementwise function of one operand, as a type: loops generic over a kernel type are
/// specialised for it, so `apply` is inlined into the inner loop (a closure captured by the
/// parallel and run closures would be called through a pointer on every element).
protocol UnaryKernel {
    associatedtype Input
    associatedtype Output
    /// The function.
    static func apply(_ x: Input) -> Output
}

/// An elementwise function of two operands, as a type (see `UnaryKernel`).
protocol BinaryKernel {
    associatedtype Left
    associatedtype Right
    associatedtype Output
    /// The function.
    static func apply(_ a: Left, _ b: Right) -> Output
}

/// An elementwise function of three operands, as a type (see `UnaryKernel`); used by gradients.
protocol TernaryKernel {
    associatedtype First
    associatedtype Second
    associatedtype Third
    associatedtype Output
    /// The function.
    static func apply(_ a: First, _ b: Second, _ c: Third) -> Output
}

/// An elementwise function of one operand and two parameters fixed for the call, as a type
/// (see `UnaryKernel`).
protocol ParametricKernel {
    associatedtype Element
    /// The function.
    static func apply(_ x: Element, _ p: Element, _ q: Element) -> Element
}

/// Elementwise loops: operands broadcast to the result's shape, large results split over the
/// cores, contiguous runs written as plain loops the compiler vectorises.
enum Elementwise {
    /// `out[i] = K(a[i])`.
    static func map<K: UnaryKernel>(_: K.Type, _ a: Tensor, _ out: Tensor) {
        let pa = a.pointer(K.Input.self), po = out.pointer(K.Output.self)
        if a.shape == out.shape {
            Parallel.forRanges(out.count) { range in
                for i in range { po[i] = K.apply(pa[i]) }
            }
            return
        }
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape])
        let sa = plan.step(0)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                let x = pa + off.0, o = po + start
                for i in 0..<length { o[i] = K.apply(x[i &* sa]) }
            }
        }
    }

    /// `out[i] = K(a[i], b[i])`.
    static func map<K: BinaryKernel>(_: K.Type, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
        let pa = a.pointer(K.Left.self), pb = b.pointer(K.Right.self), po = out.pointer(K.Output.self)
        if a.shape == out.shape && b.shape == out.shape {
            Parallel.forRanges(out.count) { range in
                for i in range { po[i] = K.apply(pa[i], pb[i]) }
            }
            return
        }
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape, b.shape])
        let sa = plan.step(0), sb = plan.step(1)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                let x = pa + off.0, y = pb + off.1, o = po + start
                if sa == 1 && sb == 1 {
                    for i in 0..<length { o[i] = K.apply(x[i], y[i]) }
                } else if sa == 1 && sb == 0 {
                    let right = y[0]
                    for i in 0..<length { o[i] = K.apply(x[i], right) }
                } else if sa == 0 && sb == 1 {
                    let left = x[0]
                    for i in 0..<length { o[i] = K.apply(left, y[i]) }
                } else {
                    for i in 0..<length { o[i] = K.apply(x[i &* sa], y[i &* sb]) }
                }
            }
        }
    }

    /// `out[i] = K(a[i], p, q)` for `a` and `out` of one shape.
    static func map<K: ParametricKernel>(_: K.Type, _ a: Tensor, _ p: K.Element, _ q: K.Element, _ out: Tensor) {
        let pa = a.pointer(K.Element.self), po = out.pointer(K.Element.self)
        Parallel.forRanges(out.count) { range in
            for i in range { po[i] = K.apply(pa[i], p, q) }
        }
    }

    /// `out[i] = K(a[i], b[i], c[i])`.
    static func map<K: TernaryKernel>(_: K.Type, _ a: Tensor, _ b: Tensor, _ c: Tensor, _ out: Tensor) {
        let pa = a.pointer(K.First.self), pb = b.pointer(K.Second.self), pc = c.pointer(K.Third.self)
        let po = out.pointer(K.Output.self)
        if a.shape == out.shape && b.shape == out.shape && c.shape == out.shape {
            Parallel.forRanges(out.count) { range in
                for i in range { po[i] = K.apply(pa[i], pb[i], pc[i]) }
            }
            return
        }
        let plan = ElementwisePlan(shape: out.shape, operandShapes: [a.shape, b.shape, c.shape])
        let sa = plan.step(0), sb = plan.step(1), sc = plan.step(2)
        Parallel.forRanges(plan.count) { range in
            plan.forEachRun(in: range) { start, off, length in
                let x = pa + off.0, y = pb + off.1, z = pc + off.2, o = po + start
                for i in 0..<length { o[i] = K.apply(x[i &* sa], y[i &* sb], z[i &* sc]) }
            }
        }
    }

    /// `out[i] = convert(a[i])` for same-shape tensors, on the calling thread (dtype casts).
    @inline(__always)
    static func convert<A, R>(_ a: Tensor, _ out: Tensor, _ convert: (A) -> R) {
        let pa = a.pointer(A.self), po = out.pointer(R.self)
        for i in 0..<out.count { po[i] = convert(pa[i]) }
    }
}
