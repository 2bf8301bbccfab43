#if canImport(Glibc)
import Glibc
#endif
import GradSwift

/// The table behind every handle given to C: a slot index plus a generation counter, so a
/// released, stale, forged or zero handle is reported instead of dereferenced. Thread-safe.
final class Handles: @unchecked Sendable {
    /// The table used by all gs_ functions.
    static let shared = Handles()

    private var objects: [AnyObject?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private var liveCount = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// A new handle owning a reference to `object`.
    func insert(_ object: AnyObject) -> UInt64 {
        locked {
            let slot: Int
            if let reused = freeSlots.popLast() {
                slot = reused
                objects[slot] = object
            } else {
                slot = objects.count
                objects.append(object)
                generations.append(1)
            }
            liveCount += 1
            return UInt64(generations[slot]) << 32 | UInt64(slot + 1)
        }
    }

    /// The object behind `handle`, which must be of type `T`.
    func lookup<T>(_ handle: UInt64, as _: T.Type, _ op: String, _ name: String = "handle") throws -> T {
        let object: AnyObject? = locked {
            let slot = Int(handle & 0xFFFF_FFFF) - 1
            guard slot >= 0 && slot < objects.count && UInt64(generations[slot]) == handle >> 32 else { return nil }
            return objects[slot]
        }
        guard let object else {
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(handle) is not a live handle (zero, released, stale or forged)")
        }
        guard let typed = object as? T else {
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(handle) is a \(type(of: object)), not a \(T.self)")
        }
        return typed
    }

    /// Drops `handle`; using it again is an error.
    func release(_ handle: UInt64, _ op: String) throws {
        let object: AnyObject? = locked {
            let slot = Int(handle & 0xFFFF_FFFF) - 1
            guard slot >= 0 && slot < objects.count && UInt64(generations[slot]) == handle >> 32,
                  let object = objects[slot] else { return nil }
            objects[slot] = nil
            generations[slot] = generations[slot] == UInt32.max ? 1 : generations[slot] + 1
            freeSlots.append(slot)
            liveCount -= 1
            return object
        }
        guard object != nil else {
            throw CallError(status: .invalidHandle, message: "\(op): handle \(handle) is not a live handle (zero, released twice, stale or forged)")
        }
        // `object` is released here, outside the lock.
    }

    /// Number of live handles.
    var count: Int { locked { liveCount } }
}

/// Looks up a tensor handle.
@inline(__always)
func tensor(_ handle: UInt64, _ op: String, _ name: String = "tensor") throws -> Tensor {
    try Handles.shared.lookup(handle, as: Tensor.self, op, name)
}
