extension Ops {
    /// Einstein summation over `operands` (`torch.einsum`, `np.einsum`): `equation` names each
    /// operand's dimensions with letters (`"ij,jk->ik"`); a letter repeated within an operand
    /// takes its diagonal, letters missing from the output are summed, `...` stands for
    /// broadcast leading dimensions. Without `->` the output is `...` then the letters used
    /// once, in alphabetical order (capitals first). A dimension of size 1 broadcasts against
    /// the same letter's size elsewhere, as in PyTorch. All operands share one dtype.
    ///
    /// Built from differentiable ops: `diagonal` for repeated letters, `sum` for letters that
    /// leave early, and for each further operand one batched `matmul` (BLAS) after moving the
    /// batch, free and contracted dimensions together; so every order differentiates.
    public static func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor {
        let op = "einsum"
        guard let first = operands.first else { throw EngineError.invalidArgument("\(op): must provide at least one operand") }
        for t in operands where t.dtype != first.dtype {
            throw EngineError.dtype("\(op): expected all operands to have the same dtype, but found \(first.dtype.name) and \(t.dtype.name)")
        }
        let spec = try EinsumSpec(equation, ranks: operands.map(\.rank))
        var size = [Int: Int]()
        for (i, (t, labels)) in zip(operands, spec.inputs).enumerated() {
            for (axis, label) in labels.enumerated() {
                let n = t.shape[axis]
                if let first = labels.firstIndex(of: label), first < axis, t.shape[first] != n {
                    throw EngineError.shapeMismatch("\(op): subscript \(EinsumSpec.name(label)) is repeated for operand \(i) but the sizes don't match, \(n) != \(t.shape[first])")
                }
                if let seen = size[label], seen != n, seen != 1, n != 1 {
                    throw EngineError.shapeMismatch("\(op): subscript \(EinsumSpec.name(label)) has size \(n) for operand \(i) which does not broadcast with previously seen size \(seen)")
                }
                if size[label] == nil || size[label] == 1 { size[label] = n }
            }
        }
        // Bools contract as 0/1 integers and are read back as "any"; float16 contracts in
        // float32 and narrow integers in int64, rounded or wrapped back.
        let work = first.dtype == .bool ? DType.int64 : first.dtype.computeType
        var terms: [(tensor: Tensor, labels: [Int])] = []
        for (i, (t, labels)) in zip(operands, spec.inputs).enumerated() {
            terms.append(try diagonals(try cast(t, to: work), labels, operand: i))
        }
        var result = terms[0]
        if terms.count == 1 {
            result = try sumOut(result, keeping: Set(spec.output))
        }
        for j in 1..<Swift.max(terms.count, 1) {
            var keep = Set(spec.output)
            for later in terms[(j + 1)...] { keep.formUnion(later.labels) }
            result = try contract(result, terms[j], keeping: keep, sizes: size)
        }
        // Every output letter is present now; expand those still of size 1 that broadcast.
        let order = spec.output.map { label in result.labels.firstIndex(of: label)! }
        var out = try permuted(result.tensor, order)
        let shape = spec.output.map { size[$0]! }
        if out.shape != shape { out = try expand(out, to: shape) }
        return out.dtype == first.dtype ? out : try cast(out, to: first.dtype)
    }

    /// `t` with each repeated label reduced to its diagonal (placed last).
    private static func diagonals(_ t: Tensor, _ labels: [Int], operand: Int) throws -> (tensor: Tensor, labels: [Int]) {
        var t = t, labels = labels
        while let q = labels.indices.first(where: { labels[..<$0].contains(labels[$0]) }) {
            let p = labels.firstIndex(of: labels[q])!
            guard t.shape[p] == t.shape[q] else {
                throw EngineError.shapeMismatch("einsum: subscript \(EinsumSpec.name(labels[p])) is repeated for operand \(operand) but the sizes don't match, \(t.shape[q]) != \(t.shape[p])")
            }
            t = try diagonal(t, offset: 0, dim1: p, dim2: q)
            let label = labels[p]
            labels.remove(at: q)
            labels.remove(at: p)
            labels.append(label)
        }
        return (t, labels)
    }

    /// `term` summed over the labels not in `keep`.
    private static func sumOut(_ term: (tensor: Tensor, labels: [Int]), keeping keep: Set<Int>) throws -> (tensor: Tensor, labels: [Int]) {
        let gone = term.labels.indices.filter { !keep.contains(term.labels[$0]) }
        guard !gone.isEmpty else { return term }
        return (try sum(term.tensor, axes: gone), term.labels.enumerated().filter { !gone.contains($0.offset) }.map(\.element))
    }

    /// The product of two terms summed over the labels they share that `keep` does not need:
    /// one batched matrix product of (batch, free a, shared) by (batch, shared, free b).
    private static func contract(_ a: (tensor: Tensor, labels: [Int]), _ b: (tensor: Tensor, labels: [Int]),
                                 keeping keep: Set<Int>, sizes: [Int: Int]) throws -> (tensor: Tensor, labels: [Int]) {
        var x = try sumOut(a, keeping: keep.union(b.labels)), y = try sumOut(b, keeping: keep.union(a.labels))
        let shared = x.labels.filter { y.labels.contains($0) }
        // A shared label of size 1 on one side broadcasts against the other.
        func widened(_ term: (tensor: Tensor, labels: [Int])) throws -> (tensor: Tensor, labels: [Int]) {
            let shape = term.labels.map { shared.contains($0) ? sizes[$0]! : term.tensor.shape[term.labels.firstIndex(of: $0)!] }
            return shape == term.tensor.shape ? term : (try expand(term.tensor, to: shape), term.labels)
        }
        x = try widened(x)
        y = try widened(y)
        let batch = shared.filter { keep.contains($0) }, summed = shared.filter { !keep.contains($0) }
        let freeX = x.labels.filter { !shared.contains($0) }, freeY = y.labels.filter { !shared.contains($0) }
        func extent(_ labels: [Int], _ term: (tensor: Tensor, labels: [Int])) -> [Int] {
            labels.map { term.tensor.shape[term.labels.firstIndex(of: $0)!] }
        }
        func positions(_ labels: [Int], _ term: (tensor: Tensor, labels: [Int])) -> [Int] {
            labels.map { term.labels.firstIndex(of: $0)! }
        }
        let batchShape = extent(batch, x)
        let m = extent(freeX, x).reduce(1, *), n = extent(freeY, y).reduce(1, *), k = extent(summed, x).reduce(1, *)
        let left = try reshape(permuted(x.tensor, positions(batch + freeX + summed, x)), batchShape + [m, k])
        let right = try reshape(permuted(y.tensor, positions(batch + summed + freeY, y)), batchShape + [k, n])
        let product = try reshape(matmul(left, right), batchShape + extent(freeX, x) + extent(freeY, y))
        return (product, batch + freeX + freeY)
    }
}

/// A parsed einsum equation: each operand's labels (letters 0..<52, capitals first; the
/// dimensions of `...` get labels from 52 on, right-aligned across operands) and the output's.
private struct EinsumSpec {
    /// The labels of each operand's dimensions.
    var inputs: [[Int]]
    /// The labels of the output's dimensions.
    var output: [Int]

    /// The first label of the `...` dimensions.
    static let ellipsisBase = 52

    /// A label as written in the equation.
    static func name(_ label: Int) -> String {
        if label >= ellipsisBase { return "..." }
        let base = label < 26 ? UInt8(ascii: "A") : UInt8(ascii: "a")
        return String(UnicodeScalar(base + UInt8(label % 26)))
    }

    init(_ equation: String, ranks: [Int]) throws {
        let op = "einsum"
        let text = Array(equation.utf8.filter { $0 != UInt8(ascii: " ") })
        var arrow: Int?
        for i in text.indices where text[i] == UInt8(ascii: "-") {
            guard i + 1 < text.count && text[i + 1] == UInt8(ascii: ">") && arrow == nil else {
                throw EngineError.invalidArgument("\(op): invalid '-' at index \(i) in the equation string (expected one '->')")
            }
            arrow = i
        }
        let lhs = Array(text[..<(arrow ?? text.count)])
        let terms = lhs.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map(Array.init)
        guard terms.count == ranks.count else {
            throw EngineError.invalidArgument("\(op): \(terms.count < ranks.count ? "more" : "fewer") operands were provided than specified in the equation (\(ranks.count) given, \(terms.count) specified)")
        }
        // Letters and the position of `...` in each term.
        var letters: [[Int]] = [], ellipsisAt: [Int?] = []
        for (i, term) in terms.enumerated() {
            let (labels, at) = try EinsumSpec.parse(term, operand: i)
            let named = labels.count
            guard at == nil ? named == ranks[i] : named <= ranks[i] else {
                throw EngineError.invalidArgument("\(op): the number of subscripts in the equation (\(named)) does not match the number of dimensions (\(ranks[i])) for operand \(i)\(at == nil ? " and no ellipsis was given" : "")")
            }
            letters.append(labels)
            ellipsisAt.append(at)
        }
        let ellipsisRank = zip(ranks, zip(letters, ellipsisAt)).map { rank, term in term.1 == nil ? 0 : rank - term.0.count }.max() ?? 0
        let ellipsis = (0..<ellipsisRank).map { EinsumSpec.ellipsisBase + $0 }
        inputs = zip(ranks, zip(letters, ellipsisAt)).map { rank, term in
            guard let at = term.1 else { return term.0 }
            let own = rank - term.0.count
            return Array(term.0[..<at]) + ellipsis.suffix(own) + Array(term.0[at...])
        }
        if let arrow {
            let (labels, at) = try EinsumSpec.parse(Array(text[(arrow + 2)...]), operand: nil)
            let used = Set(letters.joined())
            for (i, label) in labels.enumerated() {
                guard used.contains(label) else {
                    throw EngineError.invalidArgument("\(op): output subscript \(EinsumSpec.name(label)) does not appear in the equation for any input operand")
                }
                guard !labels[..<i].contains(label) else {
                    throw EngineError.invalidArgument("\(op): output subscript \(EinsumSpec.name(label)) appears more than once in the output")
                }
            }
            output = at.map { Array(labels[..<$0]) + ellipsis + Array(labels[$0...]) } ?? labels
        } else {
            var counts = [Int: Int]()
            for label in letters.joined() { counts[label, default: 0] += 1 }
            output = ellipsis + counts.filter { $0.value == 1 }.map(\.key).sorted()
        }
    }

    /// The letters of one term as labels, and where its `...` stands (as a letter count).
    private static func parse(_ term: [UInt8], operand: Int?) throws -> ([Int], Int?) {
        let op = "einsum"
        let whose = operand.map { "operand \($0)" } ?? "the output"
        var labels: [Int] = [], at: Int?, i = 0
        while i < term.count {
            let c = term[i]
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): labels.append(Int(c - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): labels.append(26 + Int(c - UInt8(ascii: "a")))
            case UInt8(ascii: "."):
                guard at == nil else { throw EngineError.invalidArgument("\(op): found '.' for \(whose) for which an ellipsis was already found") }
                guard i + 2 < term.count && term[i + 1] == c && term[i + 2] == c else {
                    throw EngineError.invalidArgument("\(op): found '.' for \(whose) that is not part of any ellipsis")
                }
                at = labels.count
                i += 2
            default:
                throw EngineError.invalidArgument("\(op): invalid subscript '\(String(decoding: [c], as: UTF8.self))' for \(whose), subscripts must be in [a-zA-Z]")
            }
            i += 1
        }
        return (labels, at)
    }
}
