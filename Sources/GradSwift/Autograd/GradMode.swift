#if canImport(Glibc)
import Glibc
#endif

/// Whether ops record the graph for backward, per thread (on by default), as `torch.no_grad`.
public enum GradMode {
    /// The key of a per-thread slot holding non-nil while grad mode is off.
    private static let disabledKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True when ops on the calling thread record the graph.
    public static var isEnabled: Bool {
        get { pthread_getspecific(disabledKey) == nil }
        set { pthread_setspecific(disabledKey, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }

    /// Runs `body` with grad mode set to `enabled`, restoring the previous mode afterwards.
    public static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        isEnabled = enabled
        defer { isEnabled = previous }
        return try body()
    }
}
