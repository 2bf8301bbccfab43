import Foundation
import XCTest
@testable import GradSwift

/// The golden cases of Tests/Golden (written by tools/make_golden.py from PyDyNet 1.1 and NumPy)
/// through the engine API: every case of every file in the MANIFEST runs through the engine's
/// `OpTable` (elementwise ops, by name) or `goldenOps` (the map for every other op), and its
/// outputs, values changed in place and the gradients of sum(out * w) must match. A case whose
/// op is in neither fails, so coverage cannot drift from the C and Python readers, which read
/// the same files. A case with `dir` and `hvp` lines is differentiated twice: the first
/// gradients come from `Autograd.grad(createGraph: true)` (and must match the `grad` lines too),
/// h2 = Σ_i sum(grad_i * dir_i) is formed with engine ops and differentiated again, and the
/// results must match the `hvp` lines.
///
/// Tolerance: |actual - expected| <= rtol * |expected| + atol, (rtol, atol) = (1e-3, 1e-4) for
/// float16, (1e-5, 1e-6) for float32 and (1e-10, 1e-12) for float64; integers and bools exactly;
/// NaN and infinities must be the same; dtypes must be equal. Per-case results go to .build/golden-results/swift.tsv (for
/// tools/parity_report.py) and the per-op counts are printed.
final class GoldenTests: XCTestCase {
    func testEveryGoldenCase() throws {
        let manifest = try String(contentsOf: GoldenFiles.directory.appendingPathComponent("MANIFEST"), encoding: .utf8)
        var rows: [String] = [], perOp: [String: Int] = [:], failed = 0, seconds = 0.0
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            let name = String(fields[0])
            let cases = try GoldenFiles.read(name)
            XCTAssertEqual(cases.count, Int(fields[1]), "\(name): the MANIFEST's case count")
            for c in cases {
                let start = Date()
                let verdict = GoldenVerdict.of(c)
                seconds += Date().timeIntervalSince(start)
                perOp[c.op, default: 0] += 1
                if let problem = verdict.problem {
                    failed += 1
                    XCTFail("\(name) \(c.id) (\(c.op)): \(problem)")
                }
                rows.append([c.id, c.op, name, verdict.problem == nil ? "ok" : "FAIL",
                             String(format: "%.3g", verdict.absError), String(format: "%.3g", verdict.relError)].joined(separator: "\t"))
            }
        }
        let header = ["# reader swift; cases \(rows.count); failed \(failed); seconds \(String(format: "%.3f", seconds))",
                      "# case\top\tfile\tstatus\tmax_abs_error\tmax_rel_error"]
        let results = GoldenFiles.root.appendingPathComponent(".build/golden-results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        try (header + rows).joined(separator: "\n").appending("\n")
            .write(to: results.appendingPathComponent("swift.tsv"), atomically: true, encoding: .utf8)
        let counts = perOp.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("golden cases checked through the engine API: \(rows.count) (\(failed) failed) in "
              + String(format: "%.2f", seconds) + " s; per op: \(counts)")
    }
}

// MARK: - Reading

/// An attribute value as the file types it.
enum GoldenAttr {
    case int(Int), ints([Int]), float(Double), bool(Bool), str(String), none, index([String])
}

/// One tensor line: role, name, dtype, shape and values (floats as Double, exact for float16 and
/// float32; integers and bools as Int64).
struct GoldenTensor {
    let role: String, name: String, dtype: DType, shape: [Int]
    let floats: [Double], ints: [Int64]

    /// An engine tensor holding these values: made as float64 (floats) or int64 (integers), cast
    /// to the dtype. (bool is made as such: its values are 0 and 1.)
    func make(requiresGrad: Bool) throws -> Tensor {
        let t: Tensor
        if dtype == .bool {
            t = try ints.map { UInt8($0) }.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .bool, shape: shape) }
        } else if dtype.isFloatingPoint {
            let wide = try floats.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .float64, shape: shape) }
            t = try Ops.cast(wide, to: dtype)
        } else {
            let wide = try ints.withUnsafeBytes { try Tensor.copying($0.baseAddress, dtype: .int64, shape: shape) }
            t = try Ops.cast(wide, to: dtype)
        }
        try t.setRequiresGrad(requiresGrad)
        return t
    }
}

/// The (relative, absolute) tolerance of float outputs by dtype: one rounding step of float16,
/// the brief's 1e-5 and 1e-10 for float32 and float64.
enum GoldenTolerance {
    static func of(_ dtype: DType) -> (Double, Double) {
        switch dtype {
        case .float16: return (1e-3, 1e-4)
        case .float32: return (1e-5, 1e-6)
        default: return (1e-10, 1e-12)
        }
    }
}

struct GoldenCase {
    var file = "", id = "", op = "", ref = ""
    var attrs: [String: GoldenAttr] = [:]
    var tensors: [GoldenTensor] = []

    func tensors(_ role: String) -> [GoldenTensor] { tensors.filter { $0.role == role } }
}

enum GoldenFiles {
    /// The repository root, found from this file's path (Tests/GradSwiftTests/GoldenTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let directory = root.appendingPathComponent("Tests/Golden")

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ name: String) throws -> [GoldenCase] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var cases: [GoldenCase] = [], current: GoldenCase? = nil
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let tokens = line.split(separator: " ").map(String.init)
            guard let kind = tokens.first, !kind.hasPrefix("#") else { continue }
            let place = "\(name):\(number + 1)"
            if kind == "case" {
                current = GoldenCase(file: name, id: tokens[1])
                continue
            }
            guard var c = current else { throw Malformed(description: "\(place): '\(kind)' outside a case") }
            switch kind {
            case "end":
                cases.append(c)
                current = nil
                continue
            case "op": c.op = tokens[1]
            case "ref": c.ref = tokens.dropFirst().joined(separator: " ")
            case "attr": c.attrs[tokens[1]] = try attribute(tokens[2], Array(tokens.dropFirst(3)), place)
            default: c.tensors.append(try tensor(tokens, place))
            }
            current = c
        }
        guard current == nil else { throw Malformed(description: "\(name): unterminated case") }
        return cases
    }

    private static func attribute(_ type: String, _ values: [String], _ place: String) throws -> GoldenAttr {
        switch type {
        case "int": return .int(Int(values[0])!)
        case "ints": return .ints(values.map { Int($0)! })
        case "float": return .float(Double(values[0])!)
        case "bool": return .bool(values[0] == "1")
        case "str": return .str(values[0])
        case "none": return .none
        case "index": return .index(values)
        default: throw Malformed(description: "\(place): unknown attribute type \(type)")
        }
    }

    private static let dtypes = Dictionary(uniqueKeysWithValues: DType.allCases.map { ($0.name, $0) })

    private static func tensor(_ tokens: [String], _ place: String) throws -> GoldenTensor {
        guard tokens.count >= 4, let dtype = dtypes[tokens[2]], tokens[3].hasPrefix("(") else {
            throw Malformed(description: "\(place): malformed tensor line")
        }
        let shape = tokens[3].dropFirst().dropLast().split(separator: ",").map { Int($0)! }
        let values = tokens.dropFirst(4)
        guard values.count == shape.reduce(1, *) else { throw Malformed(description: "\(place): value count") }
        switch dtype {
        case .float16: return GoldenTensor(role: tokens[0], name: tokens[1], dtype: dtype, shape: shape,
                                           floats: values.map { Double(Float16(Double($0)!)) }, ints: [])
        case .float32: return GoldenTensor(role: tokens[0], name: tokens[1], dtype: dtype, shape: shape,
                                           floats: values.map { Double(Float($0)!) }, ints: [])
        case .float64: return GoldenTensor(role: tokens[0], name: tokens[1], dtype: dtype, shape: shape,
                                           floats: values.map { Double($0)! }, ints: [])
        default: return GoldenTensor(role: tokens[0], name: tokens[1], dtype: dtype, shape: shape, floats: [],
                                     ints: values.map { Int64($0)! })
        }
    }
}

// MARK: - Running a case through the engine API

/// A case's tensors as engine tensors (float inputs and params require grad) and its attributes.
final class GoldenRun {
    let c: GoldenCase
    var t: [String: Tensor] = [:]
    var arguments: [Tensor] = []

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    init(_ c: GoldenCase) throws {
        self.c = c
        for g in c.tensors where ["input", "const", "param", "state"].contains(g.role) {
            let tensor = try g.make(requiresGrad: g.dtype.isFloatingPoint && (g.role == "input" || g.role == "param"))
            t[g.name] = tensor
            if g.role == "input" || g.role == "const" { arguments.append(tensor) }
        }
    }

    subscript(_ name: String) -> Tensor {
        get throws {
            guard let tensor = t[name] else { throw Missing(description: "no tensor '\(name)'") }
            return tensor
        }
    }

    func optional(_ name: String) -> Tensor? { t[name] }

    func attr(_ name: String) throws -> GoldenAttr {
        guard let a = c.attrs[name] else { throw Missing(description: "no attribute '\(name)'") }
        return a
    }

    func int(_ name: String) throws -> Int {
        guard case .int(let v) = try attr(name) else { throw Missing(description: "'\(name)' is not an int") }
        return v
    }

    /// An int, ints or none attribute: nil for none.
    func ints(_ name: String) throws -> [Int]? {
        switch try attr(name) {
        case .none: return nil
        case .int(let v): return [v]
        case .ints(let v): return v
        default: throw Missing(description: "'\(name)' is not int, ints or none")
        }
    }

    /// An int or none attribute.
    func optionalInt(_ name: String) throws -> Int? { try ints(name)?.first }

    /// The adaptive pooling sizes of "output_size", -1 meaning "keep the input's size" (nil).
    func adaptiveSizes() throws -> [Int?] { (try ints("output_size") ?? []).map { $0 == -1 ? nil : $0 } }

    /// A bool or none attribute: false for none.
    func optionalBool(_ name: String) throws -> Bool {
        if case .none = try attr(name) { return false }
        return try bool(name)
    }

    /// The "mode" attribute as an interpolation mode.
    func interpolationMode() throws -> InterpolationMode {
        let modes: [String: InterpolationMode] = ["nearest": .nearest, "linear": .linear, "bilinear": .bilinear]
        guard let mode = modes[try string("mode")] else { throw Missing(description: "unknown mode") }
        return mode
    }

    /// An int or ints attribute as `count` values, one int meaning all of them.
    func values(_ name: String, _ count: Int) throws -> [Int] {
        let v = try ints(name) ?? []
        return v.count == 1 ? Array(repeating: v[0], count: count) : v
    }

    /// An int or ints attribute as a (height, width) pair.
    func pair(_ name: String) throws -> (Int, Int) {
        let v = try values(name, 2)
        return (v[0], v[1])
    }

    /// The ConvTranspose1d or ConvTranspose2d layer of the case's attributes.
    func convTranspose(dimensions: Int) throws -> ConvTranspose {
        try ConvTranspose(inChannels: try int("in_channels"), outChannels: try int("out_channels"),
                          kernelSize: try values("kernel_size", dimensions), stride: try values("stride", dimensions),
                          padding: try values("padding", dimensions), outputPadding: try values("output_padding", dimensions),
                          bias: try bool("bias"), dtype: try dtype())
    }

    /// The (height, width) adaptive pooling sizes, one int meaning both.
    func adaptiveSizes2() throws -> (Int?, Int?) {
        let sizes = try adaptiveSizes()
        return sizes.count == 1 ? (sizes[0], sizes[0]) : (sizes[0], sizes[1])
    }

    func double(_ name: String) throws -> Double {
        switch try attr(name) {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: throw Missing(description: "'\(name)' is not a number")
        }
    }

    /// A number or none attribute: nil for none, else its value and whether it was written as
    /// an int (a Python int, which promotes as one).
    func optionalNumber(_ name: String) throws -> (value: Double, isIntegral: Bool)? {
        switch try attr(name) {
        case .none: return nil
        case .int(let v): return (Double(v), true)
        case .float(let v): return (v, false)
        default: throw Missing(description: "'\(name)' is not a number or none")
        }
    }

    func bool(_ name: String) throws -> Bool {
        guard case .bool(let v) = try attr(name) else { throw Missing(description: "'\(name)' is not a bool") }
        return v
    }

    func string(_ name: String) throws -> String {
        guard case .str(let v) = try attr(name) else { throw Missing(description: "'\(name)' is not a string") }
        return v
    }

    func dtype(_ name: String = "dtype") throws -> DType {
        guard let d = DType.allCases.first(where: { $0.name == (try? string(name)) }) else {
            throw Missing(description: "'\(name)' is not a dtype")
        }
        return d
    }

    /// The `reduce` attribute of scatter (absent: overwrite).
    func scatterReduction() throws -> Ops.ScatterReduction? {
        guard c.attrs["reduce"] != nil else { return nil }
        switch try string("reduce") {
        case "add": return .add
        case "multiply": return .multiply
        default: throw Missing(description: "unknown reduce")
        }
    }

    func reduction() throws -> Reduction {
        guard let r = [Reduction.mean, .sum, .none, .batchMean].first(where: { $0.name == (try? string("reduction")) }) else {
            throw Missing(description: "unknown reduction")
        }
        return r
    }

    /// The indexing key; '@name' items are the case's int64/bool tensors.
    func key() throws -> [IndexItem] {
        guard case .index(let tokens) = try attr("key") else { throw Missing(description: "no index key") }
        return try tokens.map { token in
            switch token {
            case "new": return .newAxis
            case "...": return .ellipsis
            case _ where token.hasPrefix("@"): return .tensor(try self[String(token.dropFirst())])
            case _ where token.hasPrefix("i"): return .int(Int(token.dropFirst())!)
            default:
                let parts = token.dropFirst().split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
                return .slice(start: parts[0], stop: parts[1], step: parts[2])
            }
        }
    }

    /// Gives the module the case's parameters and mode, then runs it on the inputs.
    func layer(_ module: Module) throws -> [Tensor] {
        for g in c.tensors where g.role == "param" || g.role == "state" {
            try module.setParameter(g.name, try self[g.name])
        }
        if c.attrs["training"] != nil { module.setTraining(try bool("training")) }
        return try module(arguments)
    }

    /// numpy.split's rule: an int gives equal sections, ints give the split points.
    func split(axis requested: Int) throws -> [Tensor] {
        let x = try self["x"]
        let axis = requested < 0 ? requested + x.rank : requested
        guard axis >= 0 && axis < x.rank else { throw Missing(description: "split axis \(requested) out of range") }
        var points = try ints("indices_or_sections") ?? []
        if case .int(let sections) = try attr("indices_or_sections") {
            let n = x.shape[axis]
            guard sections > 0 && n % sections == 0 else { throw Missing(description: "unequal split") }
            points = (1..<sections).map { $0 * (n / sections) }
        }
        return try Ops.split(x, boundaries: points, axis: axis)
    }
}

private typealias GoldenOp = (GoldenRun) throws -> [Tensor]

private func unary(_ op: @escaping (Tensor) throws -> Tensor) -> GoldenOp { { r in [try op(try r["x"])] } }
/// An op of the engine's table, given the case's input and const tensors in file order.
private func elementwise(_ entry: OpTable.Entry) -> GoldenOp { { r in [try entry(r.arguments)] } }
private func reduce(_ op: ReduceOp) -> GoldenOp {
    { r in [try Ops.reduce(op, try r["x"], axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] }
}
private func layer(_ make: @escaping (GoldenRun) throws -> Module) -> GoldenOp { { r in try r.layer(try make(r)) } }
private func pool(_ kind: PoolKind, _ dimensions: Int) -> GoldenOp {
    layer { r in try Pool(kind, dimensions: dimensions, kernelSize: try r.int("kernel_size"), stride: try r.int("stride"),
                          padding: try r.int("padding")) }
}
private func nonlinearity(_ r: GoldenRun) throws -> RecurrentNonlinearity { try r.string("nonlinearity") == "relu" ? .relu : .tanh }

/// The map from golden op names to the engine API, for the ops outside the engine's `OpTable`
/// (whose elementwise ops are found by name).
private let goldenOps: [String: GoldenOp] = [
    "binary_scalar": { r in
        let ops: [String: BinaryOp] = ["add": .add, "sub": .sub, "mul": .mul, "div": .div, "pow": .pow,
                                       "maximum": .maximum, "minimum": .minimum]
        guard let op = ops[try r.string("op")] else { throw GoldenRun.Missing(description: "unknown scalar op") }
        return [try Ops.binary(op, try r["x"], scalar: try r.double("scalar"), kind: try r.string("kind") == "int" ? .int : .float,
                               scalarFirst: try r.bool("reverse"))]
    },
    "astype": { r in [try Ops.cast(try r["x"], to: try r.dtype(), copy: true)] },
    "sum": reduce(.sum), "mean": reduce(.mean), "max": reduce(.max), "min": reduce(.min),
    "argmax": reduce(.argmax), "argmin": reduce(.argmin),
    "prod": { r in [try Ops.prod(try r["x"], axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] },
    "var": { r in
        [try Ops.variance(try r["x"], axes: try r.ints("axis"), correction: try r.double("correction"), keepDims: try r.bool("keepdims"))]
    },
    "std": { r in
        [try Ops.standardDeviation(try r["x"], axes: try r.ints("axis"), correction: try r.double("correction"),
                                   keepDims: try r.bool("keepdims"))]
    },
    "logsumexp": { r in [try Ops.logsumexp(try r["x"], axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] },
    "norm": { r in [try Ops.norm(try r["x"], p: try r.double("p"), axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] },
    "all": { r in [try Ops.all(try r["x"], axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] },
    "any": { r in [try Ops.any(try r["x"], axes: try r.ints("axis"), keepDims: try r.bool("keepdims"))] },
    "cumsum": { r in [try Ops.cumsum(try r["x"], axis: try r.int("axis"))] },
    "cumprod": { r in [try Ops.cumprod(try r["x"], axis: try r.int("axis"))] },
    "sort": { r in
        let (values, indices) = try Ops.sort(try r["x"], axis: try r.int("axis"), descending: try r.bool("descending"))
        return [values, indices]
    },
    "argsort": { r in [try Ops.argsort(try r["x"], axis: try r.int("axis"), descending: try r.bool("descending"))] },
    "topk": { r in
        let (values, indices) = try Ops.topk(try r["x"], k: try r.int("k"), axis: try r.int("axis"), largest: try r.bool("largest"))
        return [values, indices]
    },
    "max_dim": { r in
        let (values, indices) = try Ops.extremum(.max, try r["x"], axis: try r.int("axis"), keepDims: try r.bool("keepdims"))
        return [values, indices]
    },
    "min_dim": { r in
        let (values, indices) = try Ops.extremum(.min, try r["x"], axis: try r.int("axis"), keepDims: try r.bool("keepdims"))
        return [values, indices]
    },
    "matmul": { r in [try Ops.matmul(try r["a"], try r["b"])] },
    "reshape": { r in [try Ops.reshape(try r["x"], try r.ints("shape") ?? [])] },
    "transpose": { r in [try Ops.transpose(try r["x"], axes: try r.ints("axes"))] },
    "swapaxes": { r in [try Ops.swapAxes(try r["x"], try r.int("axis1"), try r.int("axis2"))] },
    "squeeze": { r in [try Ops.squeeze(try r["x"], axes: try r.ints("axis"))] },
    "unsqueeze": { r in [try Ops.unsqueeze(try r["x"], axes: try r.ints("axis") ?? [])] },
    "concat": { r in [try Ops.concat(r.arguments, axis: try r.int("axis"))] },
    "split": { r in try r.split(axis: try r.int("axis")) },
    "vsplit": { r in try r.split(axis: 0) },
    "hsplit": { r in try r.split(axis: try r["x"].rank == 1 ? 0 : 1) },  // numpy.hsplit: axis 0 of 1-D input
    "dsplit": { r in try r.split(axis: 2) },
    "stack": { r in [try Ops.stack(r.arguments, axis: try r.int("dim"))] },
    "flatten": { r in [try Ops.flatten(try r["x"], startAxis: try r.int("start_dim"), endAxis: try r.int("end_dim"))] },
    "unflatten": { r in [try Ops.unflatten(try r["x"], axis: try r.int("dim"), sizes: try r.ints("sizes") ?? [])] },
    "permute": { r in [try Ops.transpose(try r["x"], axes: try r.ints("dims") ?? [])] },
    "expand": { r in [try Ops.expand(try r["x"], sizes: try r.ints("sizes") ?? [])] },
    "broadcast_to": { r in [try Ops.expand(try r["x"], to: try r.ints("shape") ?? [])] },
    "movedim": { r in
        [try Ops.moveAxes(try r["x"], source: try r.ints("source") ?? [], destination: try r.ints("destination") ?? [])]
    },
    "tile": { r in [try Ops.tile(try r["x"], reps: try r.ints("dims") ?? [])] },
    "repeat": { r in [try Ops.repeatTensor(try r["x"], try r.ints("sizes") ?? [])] },
    "repeat_interleave": { r in
        if let counts = r.optional("repeats") {
            return [try Ops.repeatInterleave(try r["x"], repeats: counts, axis: try r.optionalInt("dim"))]
        }
        return [try Ops.repeatInterleave(try r["x"], repeats: try r.int("repeats"), axis: try r.optionalInt("dim"))]
    },
    "flip": { r in [try Ops.flip(try r["x"], axes: try r.ints("dims") ?? [])] },
    "roll": { r in [try Ops.roll(try r["x"], shifts: try r.ints("shifts") ?? [], axes: try r.ints("dims") ?? [])] },
    "chunk": { r in try Ops.chunk(try r["x"], chunks: try r.int("chunks"), axis: try r.int("dim")) },
    "tril": { r in [try Ops.tril(try r["x"], diagonal: try r.int("diagonal"))] },
    "triu": { r in [try Ops.triu(try r["x"], diagonal: try r.int("diagonal"))] },
    "F.pad": { r in
        guard let mode = [PadMode.constant, .reflect, .replicate, .circular].first(where: { $0.name == (try? r.string("mode")) }) else {
            throw GoldenRun.Missing(description: "unknown padding mode")
        }
        return [try Ops.pad(try r["x"], try r.ints("pad") ?? [], mode: mode, value: try r.optionalNumber("value")?.value ?? 0)]
    },
    "getitem": { r in [try Ops.index(try r["x"], try r.key())] },
    "gather": { r in [try Ops.gather(try r["x"], dim: try r.int("dim"), index: try r["index"])] },
    "scatter": { r in
        [try Ops.scatter(try r["x"], dim: try r.int("dim"), index: try r["index"], src: try r["src"], reduce: try r.scatterReduction())]
    },
    "scatter_value": { r in
        [try Ops.scatter(try r["x"], dim: try r.int("dim"), index: try r["index"], value: try r.double("value"),
                         reduce: try r.scatterReduction())]
    },
    "scatter_add": { r in [try Ops.scatterAdd(try r["x"], dim: try r.int("dim"), index: try r["index"], src: try r["src"])] },
    "index_select": { r in [try Ops.indexSelect(try r["x"], dim: try r.int("dim"), index: try r["index"])] },
    "masked_fill": { r in [try Ops.maskedFill(try r["x"], mask: try r["mask"], value: try r["value"])] },
    "take_along_dim": { r in [try Ops.takeAlongDim(try r["x"], indices: try r["indices"], dim: try r.optionalInt("dim"))] },
    "nonzero": { r in [try Ops.nonzero(try r["x"])] },
    "einsum": { r in [try Ops.einsum(try r.string("equation"), r.arguments)] },
    "tensordot": { r in
        let a = try r["a"], b = try r["b"]
        if r.c.attrs["dims"] != nil {
            let n = try r.int("dims")
            return [try Ops.tensordot(a, b, dimsA: Array((a.rank - n)..<a.rank), dimsB: Array(0..<n))]
        }
        return [try Ops.tensordot(a, b, dimsA: try r.ints("dims_a") ?? [], dimsB: try r.ints("dims_b") ?? [])]
    },
    "outer": { r in [try Ops.outer(try r["a"], try r["b"])] },
    "dot": { r in [try Ops.dot(try r["a"], try r["b"])] },
    "bmm": { r in [try Ops.bmm(try r["a"], try r["b"])] },
    "diag": { r in [try Ops.diag(try r["x"], k: try r.int("diagonal"))] },
    "diagonal": { r in
        [try Ops.diagonal(try r["x"], offset: try r.int("offset"), dim1: try r.int("dim1"), dim2: try r.int("dim2"))]
    },
    "trace": { r in [try Ops.trace(try r["x"])] },
    "setitem": { r in
        let x = try r["x"]
        try Ops.indexPut(x, try r.key(), try r.optional("value") ?? Tensor.scalar(try r.double("value"), dtype: .float64))
        return [x]
    },
    "F.relu": { r in [try Ops.relu(try r["x"])] },
    "F.leaky_relu": { r in [try Ops.leakyRelu(try r["x"], slope: try r.double("alpha"))] },
    "F.silu": { r in [try Ops.silu(try r["x"])] },
    "F.sigmoid": unary(Ops.sigmoid), "F.tanh": unary(Ops.tanh),
    "F.softmax": { r in [try Ops.softmax(try r["x"], axis: try r.optionalInt("axis"))] },
    "F.log_softmax": { r in [try Ops.logSoftmax(try r["x"], axis: try r.optionalInt("axis"))] },
    "F.gelu": { r in [try Ops.gelu(try r["x"], approximateTanh: try r.string("approximate") == "tanh")] },
    "F.elu": { r in [try Ops.elu(try r["x"], alpha: try r.double("alpha"))] },
    "F.selu": unary(Ops.selu),
    "F.celu": { r in [try Ops.celu(try r["x"], alpha: try r.double("alpha"))] },
    "F.softplus": { r in [try Ops.softplus(try r["x"], beta: try r.double("beta"), threshold: try r.double("threshold"))] },
    "F.mish": unary(Ops.mish),
    "F.hardtanh": { r in [try Ops.hardtanh(try r["x"], min: try r.double("min_val"), max: try r.double("max_val"))] },
    "F.relu6": unary(Ops.relu6), "F.hardsigmoid": unary(Ops.hardsigmoid), "F.hardswish": unary(Ops.hardswish),
    "F.logsigmoid": unary(Ops.logsigmoid),
    "nn.GELU": layer { r in ElementwiseActivation.gelu(approximateTanh: try r.string("approximate") == "tanh") },
    "nn.SiLU": layer { _ in ElementwiseActivation.silu() },
    "nn.ELU": layer { r in ElementwiseActivation.elu(alpha: try r.double("alpha")) },
    "nn.SELU": layer { _ in ElementwiseActivation.selu() },
    "nn.CELU": layer { r in try ElementwiseActivation.celu(alpha: try r.double("alpha")) },
    "nn.Softplus": layer { r in try ElementwiseActivation.softplus(beta: try r.double("beta"), threshold: try r.double("threshold")) },
    "nn.Mish": layer { _ in ElementwiseActivation.mish() },
    "nn.Hardtanh": layer { r in try ElementwiseActivation.hardtanh(min: try r.double("min_val"), max: try r.double("max_val")) },
    "nn.ReLU6": layer { _ in ElementwiseActivation.relu6() },
    "nn.Hardsigmoid": layer { _ in ElementwiseActivation.hardsigmoid() },
    "nn.Hardswish": layer { _ in ElementwiseActivation.hardswish() },
    "nn.LogSigmoid": layer { _ in ElementwiseActivation.logsigmoid() },
    "round": { r in [try Ops.round(try r["x"], decimals: r.c.attrs["decimals"] == nil ? 0 : try r.int("decimals"))] },
    "clamp": { r in [try Ops.clamp(try r["x"], min: r.optional("min"), max: r.optional("max"))] },
    "clamp_scalar": { r in
        let (low, high) = (try r.optionalNumber("min"), try r.optionalNumber("max"))
        let integral = [low, high].allSatisfy { $0.map { $0.isIntegral } ?? true }
        return [try Ops.clamp(try r["x"], min: low?.value, max: high?.value, kind: integral ? .int : .float)]
    },
    "where": { r in [try Ops.where(try r["condition"], try r["a"], try r["b"])] },
    "lerp": { r in [try Ops.lerp(try r["start"], try r["end"], weight: try r["weight"])] },
    "nn.ReLU": layer { _ in ReLU() }, "nn.Sigmoid": layer { _ in Sigmoid() }, "nn.Tanh": layer { _ in Tanh() },
    "nn.LeakyReLU": layer { r in LeakyReLU(alpha: try r.double("alpha")) },
    "nn.Softmax": layer { r in Softmax(axis: try r.optionalInt("axis")) },
    "F.mse_loss": { r in [try Ops.mseLoss(try r["pred"], try r["target"], reduction: try r.reduction())] },
    "F.nll_loss": { r in [try Ops.nllLoss(try r["pred"], try r["target"], reduction: try r.reduction())] },
    "F.cross_entropy_loss": { r in [try Ops.crossEntropy(try r["pred"], try r["target"], reduction: try r.reduction())] },
    "F.l1_loss": { r in [try Ops.l1Loss(try r["input"], try r["target"], reduction: try r.reduction())] },
    "F.smooth_l1_loss": { r in
        [try Ops.smoothL1Loss(try r["input"], try r["target"], reduction: try r.reduction(), beta: try r.double("beta"))]
    },
    "F.huber_loss": { r in
        [try Ops.huberLoss(try r["input"], try r["target"], reduction: try r.reduction(), delta: try r.double("delta"))]
    },
    "F.binary_cross_entropy": { r in
        [try Ops.binaryCrossEntropy(try r["input"], try r["target"], weight: r.optional("weight"), reduction: try r.reduction())]
    },
    "F.binary_cross_entropy_with_logits": { r in
        [try Ops.binaryCrossEntropyWithLogits(try r["input"], try r["target"], weight: r.optional("weight"),
                                              posWeight: r.optional("pos_weight"), reduction: try r.reduction())]
    },
    "F.kl_div": { r in
        [try Ops.klDiv(try r["input"], try r["target"], reduction: try r.reduction(), logTarget: try r.bool("log_target"))]
    },
    "nn.L1Loss": layer { r in try PointwiseLossLayer.l1(reduction: try r.reduction()) },
    "nn.SmoothL1Loss": layer { r in try PointwiseLossLayer.smoothL1(reduction: try r.reduction(), beta: try r.double("beta")) },
    "nn.HuberLoss": layer { r in try PointwiseLossLayer.huber(reduction: try r.reduction(), delta: try r.double("delta")) },
    "nn.BCELoss": layer { r in try PointwiseLossLayer.binaryCrossEntropy(reduction: try r.reduction()) },
    "nn.BCEWithLogitsLoss": layer { r in try PointwiseLossLayer.binaryCrossEntropyWithLogits(reduction: try r.reduction()) },
    "nn.KLDivLoss": layer { r in try PointwiseLossLayer.klDiv(reduction: try r.reduction(), logTarget: try r.bool("log_target")) },
    "nn.MSELoss": layer { r in MSELoss(reduction: try r.reduction()) },
    "nn.NLLLoss": layer { r in NLLLoss(reduction: try r.reduction()) },
    "nn.CrossEntropyLoss": layer { r in CrossEntropyLoss(reduction: try r.reduction()) },
    "F.linear": { r in [try Ops.linear(try r["x"], weight: try r["weight"], bias: r.optional("bias"))] },
    "nn.Linear": layer { r in try Linear(inFeatures: try r.int("in_features"), outFeatures: try r.int("out_features"),
                                         bias: try r.bool("bias"), dtype: try r.dtype()) },
    "F.embedding": { r in [try Ops.embedding(try r["indices"], weight: try r["weight"], paddingIndex: try r.optionalInt("padding_idx"))] },
    "nn.Embedding": layer { r in try Embedding(numEmbeddings: try r.int("num_embeddings"), embeddingDim: try r.int("embedding_dim"),
                                               paddingIndex: try r.optionalInt("padding_idx"), dtype: try r.dtype()) },
    "F.dropout": { r in [try Ops.dropout(try r["x"], p: try r.double("p"), training: try r.bool("training"))] },
    "nn.Dropout": layer { r in try Dropout(p: try r.double("p")) },
    "F.conv1d": { r in [try Ops.conv1d(try r["x"], try r["weight"], bias: r.optional("bias"), stride: try r.int("stride"),
                                       padding: try r.int("padding"))] },
    "F.conv2d": { r in [try Ops.conv2d(try r["x"], try r["weight"], bias: r.optional("bias"), stride: try r.int("stride"),
                                       padding: try r.int("padding"))] },
    "nn.Conv1d": layer { r in try Conv1d(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                                         kernelSize: try r.int("kernel_size"), stride: try r.int("stride"),
                                         padding: try r.int("padding"), bias: try r.bool("bias"), dtype: try r.dtype()) },
    "nn.Conv2d": layer { r in try Conv2d(inChannels: try r.int("in_channels"), outChannels: try r.int("out_channels"),
                                         kernelSize: try r.int("kernel_size"), stride: try r.int("stride"),
                                         padding: try r.int("padding"), bias: try r.bool("bias"), dtype: try r.dtype()) },
    "F.max_pool1d": { r in [try Ops.maxPool1d(try r["x"], kernel: try r.int("kernel_size"), stride: try r.int("stride"),
                                              padding: try r.int("padding"))] },
    "F.max_pool2d": { r in [try Ops.maxPool2d(try r["x"], kernel: try r.int("kernel_size"), stride: try r.int("stride"),
                                              padding: try r.int("padding"))] },
    "F.avg_pool1d": { r in [try Ops.avgPool1d(try r["x"], kernel: try r.int("kernel_size"), stride: try r.int("stride"),
                                              padding: try r.int("padding"))] },
    "F.avg_pool2d": { r in [try Ops.avgPool2d(try r["x"], kernel: try r.int("kernel_size"), stride: try r.int("stride"),
                                              padding: try r.int("padding"))] },
    "nn.MaxPool1d": pool(.max, 1), "nn.MaxPool2d": pool(.max, 2),
    "nn.AvgPool1d": pool(.average, 1), "nn.AvgPool2d": pool(.average, 2),
    "F.adaptive_max_pool1d": { r in [try Ops.adaptiveMaxPool1d(try r["x"], outputSize: try r.adaptiveSizes()[0])] },
    "F.adaptive_max_pool2d": { r in [try Ops.adaptiveMaxPool2d(try r["x"], outputSize: try r.adaptiveSizes2())] },
    "F.adaptive_avg_pool1d": { r in [try Ops.adaptiveAvgPool1d(try r["x"], outputSize: try r.adaptiveSizes()[0])] },
    "F.adaptive_avg_pool2d": { r in [try Ops.adaptiveAvgPool2d(try r["x"], outputSize: try r.adaptiveSizes2())] },
    "nn.AdaptiveMaxPool1d": layer { r in try AdaptivePool(.max, outputSize: try r.adaptiveSizes()) },
    "nn.AdaptiveMaxPool2d": layer { r in try AdaptivePool(.max, outputSize: try r.adaptiveSizes()) },
    "nn.AdaptiveAvgPool1d": layer { r in try AdaptivePool(.average, outputSize: try r.adaptiveSizes()) },
    "nn.AdaptiveAvgPool2d": layer { r in try AdaptivePool(.average, outputSize: try r.adaptiveSizes()) },
    "F.interpolate": { r in
        [try Ops.interpolate(try r["x"], size: try r.ints("size"), scaleFactor: try r.optionalNumber("scale_factor").map { [$0.value] },
                             mode: try r.interpolationMode(), alignCorners: try r.optionalBool("align_corners"))]
    },
    "nn.Upsample": layer { r in
        try Upsample(size: try r.ints("size"), scaleFactor: try r.optionalNumber("scale_factor").map { [$0.value] },
                     mode: try r.interpolationMode(), alignCorners: try r.optionalBool("align_corners"))
    },
    "F.conv_transpose1d": { r in
        [try Ops.convTranspose1d(try r["x"], try r["weight"], bias: r.optional("bias"), stride: try r.int("stride"),
                                 padding: try r.int("padding"), outputPadding: try r.int("output_padding"))]
    },
    "F.conv_transpose2d": { r in
        [try Ops.convTranspose2d(try r["x"], try r["weight"], bias: r.optional("bias"), stride: try r.pair("stride"),
                                 padding: try r.pair("padding"), outputPadding: try r.pair("output_padding"))]
    },
    "nn.ConvTranspose1d": layer { r in try r.convTranspose(dimensions: 1) },
    "nn.ConvTranspose2d": layer { r in try r.convTranspose(dimensions: 2) },
    "F.layer_norm": { r in [try Ops.layerNorm(try r["x"], normalizedShape: try r.ints("normalized_shape") ?? [],
                                              weight: r.optional("weight"), bias: r.optional("bias"), eps: try r.double("eps"))] },
    "F.rms_norm": { r in [try Ops.rmsNorm(try r["x"], normalizedShape: try r.ints("normalized_shape") ?? [],
                                          weight: r.optional("weight"), eps: try r.double("eps"))] },
    "F.batch_norm": { r in [try Ops.batchNorm(try r["x"], runningMean: r.optional("running_mean"), runningVar: r.optional("running_var"),
                                              weight: r.optional("weight"), bias: r.optional("bias"), training: try r.bool("training"),
                                              momentum: try r.double("momentum"), eps: try r.double("eps"))] },
    "F.group_norm": { r in [try Ops.groupNorm(try r["x"], groups: try r.int("num_groups"), weight: r.optional("weight"),
                                              bias: r.optional("bias"), eps: try r.double("eps"))] },
    "F.instance_norm": { r in [try Ops.instanceNorm(try r["x"], runningMean: r.optional("running_mean"),
                                                    runningVar: r.optional("running_var"), weight: r.optional("weight"),
                                                    bias: r.optional("bias"), useInputStatistics: try r.bool("use_input_stats"),
                                                    momentum: try r.double("momentum"), eps: try r.double("eps"))] },
    "F.scaled_dot_product_attention": { r in
        [try Ops.scaledDotProductAttention(try r["query"], try r["key"], try r["value"], mask: r.optional("attn_mask"),
                                           dropoutP: 0, training: false, isCausal: try r.bool("is_causal"),
                                           scale: try r.optionalNumber("scale")?.value).output]
    },
    "nn.MultiheadAttention": { r in
        let projections = Ops.MultiheadAttentionWeights(inProjWeight: try r["in_proj_weight"], inProjBias: r.optional("in_proj_bias"),
                                                        outProjWeight: try r["out_proj.weight"], outProjBias: r.optional("out_proj.bias"))
        let attention = try Ops.multiheadAttention(try r["query"], try r["key"], try r["value"], heads: try r.int("num_heads"),
                                                   projections, keyPaddingMask: r.optional("key_padding_mask"),
                                                   attnMask: r.optional("attn_mask"), needWeights: true,
                                                   averageWeights: try r.bool("average_attn_weights"), isCausal: false,
                                                   dropoutP: 0, training: false, batchFirst: try r.bool("batch_first"))
        return [attention.output] + (attention.weights.map { [$0] } ?? [])
    },
    "nn.LayerNorm": layer { r in try LayerNorm(normalizedShape: try r.ints("normalized_shape") ?? [], eps: try r.double("eps"),
                                               dtype: try r.dtype()) },
    "nn.RMSNorm": layer { r in try RMSNorm(normalizedShape: try r.ints("normalized_shape") ?? [], eps: try r.double("eps"),
                                           dtype: try r.dtype()) },
    "nn.BatchNorm1d": layer { r in try BatchNorm1d(numFeatures: try r.int("num_features"), eps: try r.double("eps"),
                                                   momentum: try r.double("momentum"), dtype: try r.dtype()) },
    "nn.BatchNorm2d": layer { r in try BatchNorm2d(numFeatures: try r.int("num_features"), eps: try r.double("eps"),
                                                   momentum: try r.double("momentum"), dtype: try r.dtype()) },
    "nn.RNNCell": layer { r in try RNNCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                           bias: try r.bool("bias"), nonlinearity: try nonlinearity(r), dtype: try r.dtype()) },
    "nn.LSTMCell": layer { r in try LSTMCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                             bias: try r.bool("bias"), dtype: try r.dtype()) },
    "nn.GRUCell": layer { r in try GRUCell(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                           bias: try r.bool("bias"), dtype: try r.dtype()) },
    "nn.RNN": layer { r in try RNN(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                   numLayers: try r.int("num_layers"), nonlinearity: try nonlinearity(r), bias: try r.bool("bias"),
                                   batchFirst: try r.bool("batch_first"), bidirectional: try r.bool("bidirectional"),
                                   dtype: try r.dtype()) },
    "nn.LSTM": layer { r in try LSTM(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                     numLayers: try r.int("num_layers"), bias: try r.bool("bias"),
                                     batchFirst: try r.bool("batch_first"), bidirectional: try r.bool("bidirectional"),
                                     dtype: try r.dtype()) },
    "nn.GRU": layer { r in try GRU(inputSize: try r.int("input_size"), hiddenSize: try r.int("hidden_size"),
                                   numLayers: try r.int("num_layers"), bias: try r.bool("bias"),
                                   batchFirst: try r.bool("batch_first"), bidirectional: try r.bool("bidirectional"),
                                   dtype: try r.dtype()) },
]

// MARK: - Comparing

struct GoldenVerdict {
    var absError = 0.0, relError = 0.0
    var problem: String?

    private mutating func fail(_ message: String) {
        if problem == nil { problem = message }
    }

    /// Runs `c` through `goldenOps` and compares everything the file expects.
    static func of(_ c: GoldenCase) -> GoldenVerdict {
        var v = GoldenVerdict()
        do {
            try v.check(c)
        } catch {
            v.fail("\(error)")
        }
        if v.problem != nil && v.absError == 0 { (v.absError, v.relError) = (.infinity, .infinity) }
        return v
    }

    private mutating func check(_ c: GoldenCase) throws {
        guard let op = goldenOps[c.op] ?? OpTable.named(c.op).map(elementwise) else {
            fail("op is neither in the engine's OpTable nor in goldenOps (GoldenTests.swift)")
            return
        }
        let r = try GoldenRun(c)
        let outputs = try op(r), expected = c.tensors("output")
        guard outputs.count == expected.count else {
            fail("\(outputs.count) outputs, expected \(expected.count)")
            return
        }
        for (out, want) in zip(outputs, expected) { try compare("output \(want.name)", out, want) }
        for want in c.tensors("final") { try compare("final \(want.name)", try r[want.name], want) }
        let weights = c.tensors("w")
        guard !weights.isEmpty, problem == nil else { return }
        var loss: Tensor?
        for w in weights {
            guard let k = expected.firstIndex(where: { $0.name == w.name }) else { continue }
            let term = try Ops.sum(try Ops.mul(outputs[k], try w.make(requiresGrad: false)))
            loss = try loss.map { try Ops.add($0, term) } ?? term
        }
        if !c.tensors("dir").isEmpty || !c.tensors("hvp").isEmpty {
            guard let loss else {
                fail("dir and hvp lines without a weighted output")
                return
            }
            try checkSecondDerivatives(c, r, loss)
        }
        try loss?.backward()
        for want in c.tensors("grad") { try compare("grad \(want.name)", try r[want.name].grad, want) }
    }

    /// Compares the `hvp` lines with the gradients of h2 = Σ_i sum(grad_i * dir_i), grad_i the
    /// gradients of `loss` recorded with `createGraph` (compared with the `grad` lines too).
    /// Both calls retain the graph, so that `loss.backward()` can run after. A gradient that is
    /// not recorded (nil, or not requiring grad) adds nothing to h2, and an input h2 does not
    /// reach gets zeros: an op whose backward cannot be differentiated fails on its nonzero
    /// expected values.
    private mutating func checkSecondDerivatives(_ c: GoldenCase, _ r: GoldenRun, _ loss: Tensor) throws {
        let dirs = c.tensors("dir"), hvps = c.tensors("hvp")
        guard Set(dirs.map(\.name)) == Set(hvps.map(\.name)), dirs.count == hvps.count else {
            fail("the hvp lines do not match the dir lines")
            return
        }
        let inputs = try dirs.map { try r[$0.name] }
        let firsts = try Autograd.grad(of: [loss], withRespectTo: inputs, retainGraph: true, createGraph: true,
                                       allowUnused: true)
        for (d, g) in zip(dirs, firsts) {
            if let want = c.tensors("grad").first(where: { $0.name == d.name }) {
                try compare("grad (createGraph) \(d.name)", g, want)
            }
        }
        var h2: Tensor?
        for (d, g) in zip(dirs, firsts) {
            guard let g else { continue }
            let term = try Ops.sum(try Ops.mul(g, try d.make(requiresGrad: false)))
            h2 = try h2.map { try Ops.add($0, term) } ?? term
        }
        var seconds = [Tensor?](repeating: nil, count: inputs.count)
        if let h2, h2.requiresGrad {
            seconds = try Autograd.grad(of: [h2], withRespectTo: inputs, retainGraph: true, allowUnused: true)
        }
        for want in hvps {
            guard let k = dirs.firstIndex(where: { $0.name == want.name }) else { continue }
            try compare("hvp \(want.name)", seconds[k], want)
        }
    }

    /// Compares a tensor (nil: no gradient, taken as zeros) with the expected values: its dtype
    /// and shape, then its values cast to float64 (floats) or int64 (integers and bools).
    private mutating func compare(_ what: String, _ tensor: Tensor?, _ want: GoldenTensor) throws {
        if let tensor, tensor.dtype != want.dtype || tensor.shape != want.shape {
            fail("\(what): \(tensor.dtype.name) \(tensor.shape), expected \(want.dtype.name) \(want.shape)")
            (absError, relError) = (.infinity, .infinity)
            return
        }
        let count = want.shape.reduce(1, *)
        var bad = 0
        if !want.dtype.isFloatingPoint {
            let values = try tensor.map { try Ops.cast($0, to: .int64) }
            let got: [Int64] = withExtendedLifetime(values) { (0..<count).map { i in values?.pointer(Int64.self)[i] ?? 0 } }
            bad = zip(got, want.ints).filter { $0 != $1 }.count
            if bad > 0 { (absError, relError) = (max(absError, 1), max(relError, 1)) }
        } else {
            let (rtol, atol) = GoldenTolerance.of(want.dtype)
            let values = try tensor.map { try Ops.cast($0, to: .float64) }
            defer { withExtendedLifetime(values) {} }
            for i in 0..<count {
                let e = want.floats[i]
                let a = values?.pointer(Double.self)[i] ?? 0
                guard e.isFinite else {
                    if e.isNaN ? !a.isNaN : a != e { bad += 1 }
                    continue
                }
                let error = abs(a - e)
                if !(error <= rtol * abs(e) + atol) { bad += 1 }
                absError = error.isNaN ? .nan : max(absError, error)
                relError = error.isNaN ? .nan : max(relError, error / max(abs(e), atol / rtol))
            }
        }
        if bad > 0 { fail("\(what): \(bad) of \(count) elements off") }
    }
}
