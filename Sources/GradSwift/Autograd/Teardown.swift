#if canImport(Glibc)
import Glibc
#endif

/// Frees graphs iteratively. Dropping the last tensor of a long chain would otherwise release
/// node after node recursively and overflow the stack; instead each dying tensor hands its node
/// to a per-thread queue that the outermost release drains in a loop.
enum Teardown {
    /// The calling thread's queue of nodes waiting to be released.
    private final class Queue {
        var nodes: [Node] = []
        var draining = false
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { if let raw = $0 { Unmanaged<AnyObject>.fromOpaque(raw).release() } }
        return key
    }()

    private static var queue: Queue {
        if let raw = pthread_getspecific(key) { return Unmanaged<Queue>.fromOpaque(raw).takeUnretainedValue() }
        let q = Queue()
        pthread_setspecific(key, Unmanaged.passRetained(q).toOpaque())
        return q
    }

    /// Moves the node out of `slot` and releases it (and, through it, the rest of its graph)
    /// without deep recursion. No reference to the node may outlive the move, or its release
    /// would happen after the drain loop, recursively.
    static func release(_ slot: inout Node?) {
        let q = queue
        do {
            guard let node = slot else { return }
            slot = nil
            q.nodes.append(node)
        }
        guard !q.draining else { return }
        q.draining = true
        while !q.nodes.isEmpty { q.nodes.removeLast() }
        q.draining = false
    }
}

extension Tensor {
    /// Hands the node to `Teardown` so a long graph is freed iteratively.
    func releaseGraph() {
        if gradFn != nil { Teardown.release(&gradFn) }
    }
}
