#if canImport(Glibc)
import Glibc
#endif
import GradSwift

/// Status codes returned by every gs_ function (0 is success).
@c public enum gs_status: Int32 {
    /// Success.
    case ok = 0
    /// A handle is zero, released, stale, forged or of the wrong kind.
    case invalidHandle = -1
    /// An argument is out of its domain (null pointer, bad axis, bad value...).
    case invalidArgument = -2
    /// Operand shapes do not fit together.
    case shapeMismatch = -3
    /// A dtype is not allowed here.
    case dtypeError = -4
    /// An index is out of range.
    case indexError = -5
    /// Memory could not be allocated, or a size is too large.
    case outOfMemory = -6
    /// The operation is impossible in the current state (e.g. backward through a freed graph).
    case invalidState = -7
    /// A bug in gradswift.
    case internalError = -8
}

/// A failure detected by the C layer itself, before the engine is called.
struct CallError: Error {
    let status: gs_status
    let message: String

    /// A NULL pointer where one is required.
    static func null(_ op: String, _ name: String) -> CallError {
        CallError(status: .invalidArgument, message: "\(op): \(name) is NULL")
    }

    /// An argument outside its domain.
    static func invalid(_ message: String) -> CallError {
        CallError(status: .invalidArgument, message: message)
    }
}

/// The calling thread's last error message and errno, returned by `gs_last_error` and
/// `gs_last_errno`.
enum LastError {
    /// Per-thread slot holding a malloc'ed C string, freed when replaced or at thread exit.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, { free($0) })
        return key
    }()

    /// Per-thread slot holding the errno of the last failure (as a pointer-sized integer).
    private static let errnoKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Stores `message` and `errno` (0: not an operating-system failure) for this thread and
    /// returns `status`'s code.
    static func record(_ status: gs_status, _ message: String, errno code: Int32 = 0) -> Int32 {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
        pthread_setspecific(errnoKey, UnsafeRawPointer(bitPattern: Int(code)))
        return status.rawValue
    }

    /// This thread's errno of its last failure (0 when it was not an operating-system failure).
    static var errno: Int32 { Int32(truncatingIfNeeded: Int(bitPattern: pthread_getspecific(errnoKey))) }

    /// This thread's last message (empty when none).
    static var message: UnsafePointer<CChar> {
        if let p = pthread_getspecific(key) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
        return emptyMessage
    }

    private static let emptyMessage: UnsafePointer<CChar> = UnsafePointer(strdup(""))
}

/// Runs `body` as the C function `op`, turning any error into a status code and a last-error
/// message; the call is one profiler scope named `op`.
@inline(__always)
func guarded(_ op: String, _ body: () throws -> Void) -> Int32 {
    Profiler.scope(op) { status(body) }
}

/// Runs `body`, turning any error into a status code and a last-error message.
@inline(__always)
private func status(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return gs_status.ok.rawValue
    } catch let error as CallError {
        return LastError.record(error.status, error.message)
    } catch let error as EngineError {
        return record(error)
    } catch {
        return LastError.record(.internalError, "internal error: \(error)")
    }
}

/// Records an engine error as its status code and message (and errno, for a system failure).
private func record(_ error: EngineError, errno code: Int32 = 0) -> Int32 {
    switch error {
    case .invalidArgument(let m): return LastError.record(.invalidArgument, m, errno: code)
    case .shapeMismatch(let m): return LastError.record(.shapeMismatch, m, errno: code)
    case .dtype(let m): return LastError.record(.dtypeError, m, errno: code)
    case .index(let m): return LastError.record(.indexError, m, errno: code)
    case .outOfMemory(let m): return LastError.record(.outOfMemory, m, errno: code)
    case .invalidState(let m): return LastError.record(.invalidState, m, errno: code)
    case .system(let reported, let systemCode): return record(reported, errno: systemCode)
    }
}

/// Runs `body` and stores the object it makes (a tensor, module, optimizer...) as a new handle
/// in `result` (checked non-NULL before anything is computed).
@inline(__always)
func producing<H: Handle>(_ op: String, _ result: UnsafeMutablePointer<H>?, _ body: () throws -> H.Object) -> Int32 {
    guarded(op) {
        guard let result else { throw CallError.null(op, "result") }
        result.pointee = Handles.shared.insert(try body())
    }
}

/// Reads `count` int64 values from `pointer` as Ints (checking the pointer and count).
func readInts(_ pointer: UnsafePointer<Int64>?, _ count: Int32, _ op: String, _ name: String,
              limit: Int = Shape.maxRank) throws -> [Int] {
    guard count >= 0 && Int(count) <= limit else {
        throw CallError.invalid("\(op): \(name) count \(count) is outside 0...\(limit)")
    }
    if count == 0 { return [] }
    guard let pointer else { throw CallError.null(op, name) }
    return (0..<Int(count)).map { Int(pointer[$0]) }
}

/// An optional axis list: `count == -1` means "all axes" (`nil`).
func readAxes(_ pointer: UnsafePointer<Int64>?, _ count: Int32, _ op: String) throws -> [Int]? {
    count == -1 ? nil : try readInts(pointer, count, op, "axes")
}

/// Validates a dtype code.
func dtype(_ code: Int32, _ op: String) throws -> DType {
    guard let type = DType(rawValue: code) else {
        throw CallError(status: .dtypeError, message: "\(op): unknown dtype code \(code) (0 float32, 1 float64, 2 int64, 3 bool)")
    }
    return type
}
