/// How an elementwise op is declared: once, as a type conforming to one of the protocols
/// below, in the file of its family (Unary.swift, Arithmetic.swift, Comparison.swift,
/// Activation.swift). The declaration holds the op's name, its dtype rule, its kernel (written
/// once, generic over the element type) and its backward rule (written with ops, so it can be
/// differentiated again). `Ops.apply` runs any declaration: dtypes, broadcasting, the kernel
/// over the cores and the graph node; `OpTable` lists every declaration by name, for the
/// golden readers and the tests that check every op.

/// An elementwise function of one tensor.
protocol UnaryFunction {
    /// The op's name: `gs_<name>` in C, `gradswift.<name>` in Python, `op <name>` in golden cases.
    static var name: String { get }
    /// The input gradient from the input `x`, the output `y` and the output gradient `g`.
    static func backward(x: Tensor, y: Tensor, g: Tensor) throws -> Tensor
}

/// A function of one float; int and bool inputs give the float type NumPy's exp, log, ... give
/// them (`DType.floatResult`: float16 for bool and 8-bit integers, float64 for int32 and int64).
protocol FloatFunction: UnaryFunction {
    /// f(x).
    static func value<T: FloatElement>(_ x: T) -> T
}

/// A function on every numeric type that keeps the input's dtype (ints wrap, as NumPy's). Bool
/// inputs run as int64 and turn back to bool when `keepsBool`, and are refused otherwise.
protocol NumericFunction: UnaryFunction {
    /// Whether bool inputs are accepted (and give bool).
    static var keepsBool: Bool { get }
    /// f(x).
    static func value<T: ArithmeticElement>(_ x: T) -> T
}

/// A function of one float with two parameters fixed for the call (a slope, two bounds, a
/// threshold): `elu(x; alpha)`, `hardtanh(x; min, max)`. Ints and bools give `DType.floatResult`.
protocol ParametricFunction {
    /// The op's name (see `UnaryFunction.name`).
    static var name: String { get }
    /// f(x; p, q).
    static func value<T: FloatElement>(_ x: T, _ p: T, _ q: T) -> T
    /// The input gradient from the input `x`, the output `y`, the output gradient `g` and the
    /// parameters.
    static func backward(x: Tensor, y: Tensor, g: Tensor, p: Double, q: Double) throws -> Tensor
}

/// An elementwise function of two tensors, with NumPy broadcasting and type promotion.
protocol BinaryFunction {
    /// The op's name (see `UnaryFunction.name`).
    static var name: String { get }
    /// The result dtype for operands promoted to `promoted` (bool results compute as int64).
    static func resultType(_ promoted: DType) throws -> DType
    /// Fails when the operands, already cast to the compute dtype, are outside the domain.
    static func check(_ a: Tensor, _ b: Tensor) throws
    /// The gradients of `a` and `b` (each only where `needs` says so) from the operands (cast
    /// to the compute dtype), the output and its gradient, in the broadcast shape.
    static func backward(a: Tensor, b: Tensor, output: Tensor, gradient: Tensor,
                         needs: (Bool, Bool)) throws -> (Tensor?, Tensor?)
}

extension BinaryFunction {
    static func resultType(_ promoted: DType) throws -> DType { promoted }
    static func check(_ a: Tensor, _ b: Tensor) throws {}
}

/// A binary function on every numeric type (ints wrap).
protocol NumericBinaryFunction: BinaryFunction {
    /// f(a, b).
    static func value<T: ArithmeticElement>(_ a: T, _ b: T) -> T
}

/// A binary function of floats; int and bool operands give `DType.floatResult` of their
/// promoted type.
protocol FloatBinaryFunction: BinaryFunction {
    /// f(a, b).
    static func value<T: FloatElement>(_ a: T, _ b: T) -> T
}

extension FloatBinaryFunction {
    static func resultType(_ promoted: DType) throws -> DType { promoted.floatResult }
}

/// A comparison: a bool result and no gradient.
protocol ComparisonFunction {
    /// The op's name (see `UnaryFunction.name`).
    static var name: String { get }
    /// a ⋈ b.
    static func value<T: Comparable>(_ a: T, _ b: T) -> Bool
}

extension Ops {
    /// `F(a)` for a float function, in `a`'s `floatResult` type (float16 computed in float32).
    static func apply<F: FloatFunction>(_: F.Type, _ a: Tensor) throws -> Tensor {
        if a.dtype.floatResult == .float16 { return try cast(apply(F.self, cast(a, to: .float32)), to: .float16) }
        let x = try cast(a, to: a.dtype.floatResult)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: F.name)
        func run<T: FloatElement>(_: T.Type) { Elementwise.map(FloatFunctionKernel<F, T>.self, x, out) }
        try x.dtype.dispatchFloat(F.name, run, run)
        guard a.requiresGrad && GradMode.isEnabled else { return out }  // (no rule closure made for nothing)
        return try out.recording(F.name, [a]) { g, y in [try F.backward(x: x, y: y, g: g)] }
    }

    /// `F(a)` for a numeric function, in `a`'s dtype (computed in its `computeType`).
    static func apply<F: NumericFunction>(_: F.Type, _ a: Tensor) throws -> Tensor {
        let compute = a.dtype.computeType
        if compute != a.dtype { return try cast(apply(F.self, cast(a, to: compute)), to: a.dtype) }
        guard a.dtype != .bool || F.keepsBool else {
            throw EngineError.dtype("\(F.name): not supported for bool tensors")
        }
        let x = try cast(a, to: a.dtype == .bool ? .int64 : a.dtype)
        var out = try Tensor(shape: x.shape, dtype: x.dtype, op: F.name)
        switch x.dtype {
        case .float32: Elementwise.map(NumericFunctionKernel<F, Float>.self, x, out)
        case .float64: Elementwise.map(NumericFunctionKernel<F, Double>.self, x, out)
        default: Elementwise.map(NumericFunctionKernel<F, Int64>.self, x, out)
        }
        if a.dtype == .bool { out = try cast(out, to: .bool) }
        guard a.requiresGrad && GradMode.isEnabled else { return out }  // (no rule closure made for nothing)
        return try out.recording(F.name, [a]) { g, y in [try F.backward(x: x, y: y, g: g)] }
    }

    /// `F(a; p, q)` for a parametric function, in `a`'s `floatResult` type (float16 computed in float32).
    static func apply<F: ParametricFunction>(_: F.Type, _ a: Tensor, _ p: Double, _ q: Double = 0) throws -> Tensor {
        if a.dtype.floatResult == .float16 { return try cast(apply(F.self, cast(a, to: .float32), p, q), to: .float16) }
        let x = try cast(a, to: a.dtype.floatResult)
        let out = try Tensor(shape: x.shape, dtype: x.dtype, op: F.name)
        func run<T: FloatElement>(_: T.Type) {
            Elementwise.map(ParametricFunctionKernel<F, T>.self, x, T(p), T(q), out)
        }
        try x.dtype.dispatchFloat(F.name, run, run)
        guard a.requiresGrad && GradMode.isEnabled else { return out }
        return try out.recording(F.name, [a]) { g, y in [try F.backward(x: x, y: y, g: g, p: p, q: q)] }
    }

    /// `F(a, b)` for a numeric binary function, with broadcasting and promotion.
    static func apply<F: NumericBinaryFunction>(_: F.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try runBinary(F.self, a, b) { x, y, out in
            switch out.dtype {
            case .float32: Elementwise.map(NumericBinaryKernel<F, Float>.self, x, y, out)
            case .float64: Elementwise.map(NumericBinaryKernel<F, Double>.self, x, y, out)
            default: Elementwise.map(NumericBinaryKernel<F, Int64>.self, x, y, out)
            }
        }
    }

    /// `F(a, b)` for a float binary function, with broadcasting and promotion.
    static func apply<F: FloatBinaryFunction>(_: F.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try runBinary(F.self, a, b) { x, y, out in
            func run<T: FloatElement>(_: T.Type) { Elementwise.map(FloatBinaryKernel<F, T>.self, x, y, out) }
            try out.dtype.dispatchFloat(F.name, run, run)
        }
    }

    /// `F(a, b)`: a bool tensor, never recorded.
    static func apply<F: ComparisonFunction>(_: F.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: F.name)
        var type = DType.promote(a.dtype, b.dtype).computeType
        if type == .bool { type = .int64 }
        let x = try cast(a, to: type), y = try cast(b, to: type)
        let out = try Tensor(shape: shape, dtype: .bool, op: F.name)
        switch type {
        case .float32: Elementwise.map(ComparisonKernel<F, Float>.self, x, y, out)
        case .float64: Elementwise.map(ComparisonKernel<F, Double>.self, x, y, out)
        default: Elementwise.map(ComparisonKernel<F, Int64>.self, x, y, out)
        }
        return out
    }

    /// The shared part of the binary runners: shape, dtypes, `kernel` into the output, node.
    /// A float16 or narrow-integer result is computed in its `computeType` and rounded or
    /// wrapped back, as NumPy's loops for those types do.
    private static func runBinary<F: BinaryFunction>(_: F.Type, _ a: Tensor, _ b: Tensor,
                                                  _ kernel: (Tensor, Tensor, Tensor) throws -> Void) throws -> Tensor {
        let shape = try Shape.broadcast(a.shape, b.shape, op: F.name)
        let result = try F.resultType(DType.promote(a.dtype, b.dtype))
        if result.computeType != result {
            let wide = result.computeType
            return try cast(runBinary(F.self, cast(a, to: wide), cast(b, to: wide), kernel), to: result)
        }
        let compute: DType = result == .bool ? .int64 : result
        let x = try cast(a, to: compute), y = try cast(b, to: compute)
        try F.check(x, y)
        var out = try Tensor(shape: shape, dtype: compute, op: F.name)
        try kernel(x, y, out)
        if result != compute { out = try cast(out, to: result) }
        guard (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled else { return out }
        return try out.recording(F.name, [a, b]) { g, z in
            let (ga, gb) = try F.backward(a: x, b: y, output: z, gradient: g, needs: (a.requiresGrad, b.requiresGrad))
            return [ga, gb]
        }
    }
}

// MARK: Kernels made from declarations

/// The loop kernel of a float function (see `UnaryKernel`: the declaration is inlined).
enum FloatFunctionKernel<F: FloatFunction, T: FloatElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { F.value(x) }
}

/// The loop kernel of a numeric function.
enum NumericFunctionKernel<F: NumericFunction, T: ArithmeticElement>: UnaryKernel {
    @inline(__always) static func apply(_ x: T) -> T { F.value(x) }
}

/// The loop kernel of a parametric function.
enum ParametricFunctionKernel<F: ParametricFunction, T: FloatElement>: ParametricKernel {
    @inline(__always) static func apply(_ x: T, _ p: T, _ q: T) -> T { F.value(x, p, q) }
}

/// The loop kernel of a numeric binary function.
enum NumericBinaryKernel<F: NumericBinaryFunction, T: ArithmeticElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { F.value(a, b) }
}

/// The loop kernel of a float binary function.
enum FloatBinaryKernel<F: FloatBinaryFunction, T: FloatElement>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { F.value(a, b) }
}

/// The loop kernel of a comparison.
enum ComparisonKernel<F: ComparisonFunction, T: Comparable>: BinaryKernel {
    @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { F.value(a, b) }
}

// MARK: Operators for writing backward rules

/// Tensor arithmetic as operators, so backward rules read as their math: `try g * y * (1 - y)`.
/// Each is the engine op (recorded when grad mode is on); a Double operand is a Python-style
/// float scalar (it keeps a float tensor's dtype).
extension Tensor {
    static func + (a: Tensor, b: Tensor) throws -> Tensor { try Ops.add(a, b) }
    static func - (a: Tensor, b: Tensor) throws -> Tensor { try Ops.sub(a, b) }
    static func * (a: Tensor, b: Tensor) throws -> Tensor { try Ops.mul(a, b) }
    static func / (a: Tensor, b: Tensor) throws -> Tensor { try Ops.div(a, b) }
    static prefix func - (a: Tensor) throws -> Tensor { try Ops.negate(a) }
    static func + (a: Tensor, s: Double) throws -> Tensor { try Ops.binary(.add, a, scalar: s, kind: .float) }
    static func - (a: Tensor, s: Double) throws -> Tensor { try Ops.binary(.sub, a, scalar: s, kind: .float) }
    static func * (a: Tensor, s: Double) throws -> Tensor { try Ops.binary(.mul, a, scalar: s, kind: .float) }
    static func / (a: Tensor, s: Double) throws -> Tensor { try Ops.binary(.div, a, scalar: s, kind: .float) }
    static func + (s: Double, a: Tensor) throws -> Tensor { try Ops.binary(.add, a, scalar: s, kind: .float, scalarFirst: true) }
    static func - (s: Double, a: Tensor) throws -> Tensor { try Ops.binary(.sub, a, scalar: s, kind: .float, scalarFirst: true) }
    static func * (s: Double, a: Tensor) throws -> Tensor { try Ops.binary(.mul, a, scalar: s, kind: .float, scalarFirst: true) }
    static func / (s: Double, a: Tensor) throws -> Tensor { try Ops.binary(.div, a, scalar: s, kind: .float, scalarFirst: true) }
}

// MARK: The op table

/// Every elementwise op declared in the engine, by name: what the golden readers dispatch
/// through and what the tests that check every op iterate over. Each family file lists its
/// declarations (`OpTable.unary`, `.arithmetic`, ...).
public enum OpTable {
    /// A declared op, type-erased: its name, how many tensors it takes, and whether gradients
    /// flow through it.
    public struct Entry: Sendable {
        /// The op's name (see `UnaryFunction.name`).
        public let name: String
        /// The number of tensor operands.
        public let arity: Int
        /// False for comparisons (bool results).
        public let differentiable: Bool
        private let run: @Sendable ([Tensor]) throws -> Tensor

        private init(_ name: String, arity: Int, differentiable: Bool, _ run: @escaping @Sendable ([Tensor]) throws -> Tensor) {
            (self.name, self.arity, self.differentiable, self.run) = (name, arity, differentiable, run)
        }

        init<F: FloatFunction>(_: F.Type) { self.init(F.name, arity: 1, differentiable: true) { try Ops.apply(F.self, $0[0]) } }
        init<F: NumericFunction>(_: F.Type) { self.init(F.name, arity: 1, differentiable: true) { try Ops.apply(F.self, $0[0]) } }
        init<F: NumericBinaryFunction>(_: F.Type) {
            self.init(F.name, arity: 2, differentiable: true) { try Ops.apply(F.self, $0[0], $0[1]) }
        }
        init<F: FloatBinaryFunction>(_: F.Type) {
            self.init(F.name, arity: 2, differentiable: true) { try Ops.apply(F.self, $0[0], $0[1]) }
        }
        init<F: ComparisonFunction>(_: F.Type) {
            self.init(F.name, arity: 2, differentiable: false) { try Ops.apply(F.self, $0[0], $0[1]) }
        }

        /// The op applied to `operands` (`arity` of them).
        public func callAsFunction(_ operands: [Tensor]) throws -> Tensor {
            guard operands.count == arity else {
                throw EngineError.invalidArgument("\(name): takes \(arity) tensors, got \(operands.count)")
            }
            return try run(operands)
        }
    }

    /// Every entry, family by family.
    public static let all: [Entry] = unary + trigonometric + rounding + activations + arithmetic + comparisons

    /// The entry named `name`, if any.
    public static func named(_ name: String) -> Entry? { byName[name] }

    private static let byName = Dictionary(all.map { ($0.name, $0) }) { first, _ in first }
}
