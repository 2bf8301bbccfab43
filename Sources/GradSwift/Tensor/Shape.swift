/// Shape arithmetic shared by all ops: element counts, strides, broadcasting, axis normalisation.
public enum Shape {
    /// The largest rank a tensor may have.
    public static let maxRank = 32

    /// The number of elements of `shape`, or an error when a dimension is negative or the shape
    /// is too big: the product of its nonzero dimensions, in bytes of the widest element, must
    /// fit in an Int even when a zero makes the count 0 (as NumPy), so strides and other partial
    /// products of the dimensions never overflow.
    public static func count(_ shape: [Int], op: String) throws -> Int {
        var total = 1, bound = 8
        for d in shape {
            guard d >= 0 else {
                throw EngineError.invalidArgument("\(op): negative dimension in shape \(describe(shape))")
            }
            let (product, overflow) = bound.multipliedReportingOverflow(by: Swift.max(d, 1))
            guard !overflow else {
                throw EngineError.outOfMemory("\(op): array of shape \(describe(shape)) is too big")
            }
            bound = product
            total *= d
        }
        return total
    }

    /// Row-major element strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= shape[i]
        }
        return strides
    }

    /// The NumPy broadcast of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }  // (most operands: no result array to build)
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                throw EngineError.shapeMismatch(
                    "\(op): operands could not be broadcast together with shapes \(describe(a)) \(describe(b))")
            }
        }
        return result
    }

    /// Strides that read a tensor of `shape` as if broadcast to `target` (0 on broadcast axes).
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { i in
            i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
        }
    }

    /// Maps a possibly negative axis into `0..<rank`.
    public static func normalize(axis: Int, rank: Int, op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw EngineError.invalidArgument("\(op): axis \(axis) is out of bounds for array of dimension \(rank)")
        }
        return a
    }

    /// Normalises a list of axes (sorted, no duplicates); `nil` means every axis. A 0-d tensor
    /// accepts axis 0 or -1, naming no axis, as NumPy and PyTorch do.
    public static func normalize(axes: [Int]?, rank: Int, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        if rank == 0 && axes.allSatisfy({ $0 == 0 || $0 == -1 }) {
            guard axes.count <= 1 else { throw EngineError.invalidArgument("\(op): repeated axis \(axes[1])") }
            return []
        }
        var seen = Set<Int>()
        for axis in axes {
            let a = try normalize(axis: axis, rank: rank, op: op)
            guard seen.insert(a).inserted else {
                throw EngineError.invalidArgument("\(op): repeated axis \(axis)")
            }
        }
        return seen.sorted()
    }
}
