#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A per-op profiler, as `torch.profiler`: while on, every timed scope (each C entry point,
/// each layer's forward, each backward rule the autograd walk runs) adds its wall time to a row
/// of its name: how many times it ran, its total time, and its self time, the total less the
/// time of the scopes nested in it (an op called inside a layer or a backward rule counts to
/// the inner op's self time and to both totals), like torch's "Self CPU" and "CPU total". A
/// name nested in itself counts in full at every level, as in torch.
///
/// Off by default; when off a scope costs one relaxed atomic load and a predictable branch (from
/// the C entry points, which live in another module, plus a call of the flag's accessor, which
/// returns its address): no clock read, no allocation, no lock. The switch and the rows are
/// process-wide (one lock guards the rows, taken once per finished scope); each thread keeps
/// its own stack of open scopes, so ops on several threads are timed apart and their rows add
/// up. Scopes that start before `start()` or end after `stop()` are not counted.
public enum Profiler {
    /// One row of a profile: a scope's name and its times, in nanoseconds.
    public struct Record: Equatable, Sendable {
        /// The scope's name: a C function (`gs_matmul`), a layer's kind (`Linear`), or a
        /// backward rule (`matmul backward`, for the node that `matmul` recorded).
        public let name: String
        /// How many times the scope ran.
        public var count: Int = 0
        /// Time inside the scope less the time inside scopes nested in it.
        public var selfNanoseconds: UInt64 = 0
        /// Time inside the scope, nested scopes included.
        public var totalNanoseconds: UInt64 = 0
    }

    /// The state behind the lock: the session running (nil when off), its rows by name, and
    /// the rows of the last profile stopped.
    private struct State {
        var session: Int?
        var rows: [String: Record] = [:]
        var last: [Record] = []
    }

    /// On while a profile runs (read without the lock by every scope).
    @usableFromInline static let flag = Atomic<Bool>(false)
    private static let state = Mutex(State())
    /// Counts sessions, so that a scope left open across a stop and start is not counted.
    private static let sessions = Atomic<Int>(0)

    /// True while the profiler is on.
    @inlinable public static var isEnabled: Bool { flag.load(ordering: .relaxed) }

    /// Starts a profile with no rows. Throws `invalidState` when one is already running.
    public static func start() throws {
        try state.withLock { state in
            guard state.session == nil else {
                throw EngineError.invalidState("profiler: already running; stop it before starting another")
            }
            state.session = sessions.add(1, ordering: .relaxed).newValue
            state.rows = [:]
            flag.store(true, ordering: .relaxed)
        }
    }

    /// Stops the running profile and returns its rows, by self time (largest first) then name;
    /// they stay readable as `lastProfile`. Throws `invalidState` when none is running.
    @discardableResult
    public static func stop() throws -> [Record] {
        try state.withLock { state in
            guard state.session != nil else { throw EngineError.invalidState("profiler: not running; start it first") }
            flag.store(false, ordering: .relaxed)
            state.session = nil
            state.last = state.rows.values.sorted {
                ($0.selfNanoseconds, $1.name) > ($1.selfNanoseconds, $0.name)
            }
            state.rows = [:]
            return state.last
        }
    }

    /// The rows of the last profile stopped (empty before the first).
    public static var lastProfile: [Record] { state.withLock { $0.last } }

    /// Runs `body` as a scope called `name` (evaluated only while the profiler is on). Inlinable,
    /// so that the C entry points in another module pay only the flag's load when it is off.
    @inlinable @inline(__always)
    public static func scope<R>(_ name: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
        guard isEnabled else { return try body() }
        return try timed(name(), body)
    }

    /// Runs `body` between a push and a pop of this thread's stack of open scopes.
    @usableFromInline @inline(never)
    static func timed<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        let stack = OpenScopes.current
        stack.frames.append(Frame(session: sessions.load(ordering: .relaxed), start: now()))
        defer { finish(name, stack) }
        return try body()
    }

    /// Pops the innermost open scope, charges its time to its parent's children and, when its
    /// session is still running, adds it to its row.
    private static func finish(_ name: String, _ stack: OpenScopes) {
        let frame = stack.frames.removeLast()
        let total = now() &- frame.start
        if !stack.frames.isEmpty { stack.frames[stack.frames.count - 1].children &+= total }
        state.withLock { state in
            guard state.session == frame.session else { return }
            state.rows[name, default: Record(name: name)].add(total: total, children: frame.children)
        }
    }

    /// The monotonic clock, in nanoseconds.
    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// An open scope: its session, when it started and the time of the scopes nested in it.
    private struct Frame {
        let session: Int
        let start: UInt64
        var children: UInt64 = 0
    }

    /// One thread's open scopes, innermost last, kept in a per-thread slot.
    private final class OpenScopes {
        var frames: [Frame] = []

        /// The slot's key; a thread's stack is released when the thread exits.
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key) { slot in slot.map { Unmanaged<OpenScopes>.fromOpaque($0).release() } }
            return key
        }()

        /// The calling thread's stack, made on first use.
        static var current: OpenScopes {
            if let slot = pthread_getspecific(key) { return Unmanaged<OpenScopes>.fromOpaque(slot).takeUnretainedValue() }
            let stack = OpenScopes()
            pthread_setspecific(key, Unmanaged.passRetained(stack).toOpaque())
            return stack
        }
    }
}

extension Profiler.Record {
    /// Counts one more run of `total` nanoseconds, `children` of them in nested scopes.
    fileprivate mutating func add(total: UInt64, children: UInt64) {
        count += 1
        totalNanoseconds &+= total
        selfNanoseconds &+= total &- min(children, total)
    }
}
