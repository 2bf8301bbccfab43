/// An error raised by the engine. Each case carries a message that names the op and the shapes
/// involved; the C ABI turns the case into a status code.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// An argument is out of its domain (bad axis, bad value, non-scalar backward...).
    case invalidArgument(String)
    /// Operand shapes do not fit together.
    case shapeMismatch(String)
    /// A dtype is not allowed here (requires_grad on an int tensor, unsafe in-place cast...).
    case dtype(String)
    /// An index is out of range.
    case index(String)
    /// A tensor is too large to allocate.
    case outOfMemory(String)
    /// The operation is not possible in the current state (backward through a freed graph...).
    case invalidState(String)
    /// A call to the operating system failed with the errno `code` (opening, reading, writing,
    /// syncing or renaming a file); `error` is how the failure is reported otherwise.
    indirect case system(EngineError, code: Int32)

    /// The message without the case name.
    public var description: String {
        switch self {
        case .invalidArgument(let m), .shapeMismatch(let m), .dtype(let m), .index(let m),
             .outOfMemory(let m), .invalidState(let m):
            return m
        case .system(let error, _):
            return error.description
        }
    }
}

/// Formats a shape as NumPy prints it: `(2, 3)`, `(4,)`, `()`.
public func describe(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
