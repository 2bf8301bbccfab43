#if canImport(Glibc)
import Glibc
#endif
import CHandles
import GradSwift

/// A handle type of the C ABI (Sources/CHandles/handles.h): a one-field struct around an id of
/// the handle table, one type per kind of engine object.
protocol Handle {
    /// The engine class a handle of this type stands for.
    associatedtype Object: AnyObject
    /// The id in the handle table (0: none).
    var id: UInt64 { get }
    init(id: UInt64)
}

extension gs_tensor: Handle { typealias Object = Tensor }
extension gs_module: Handle { typealias Object = Module }
extension gs_optimizer: Handle { typealias Object = Optimizer }
extension gs_scheduler: Handle { typealias Object = LRScheduler }
extension gs_checkpoint: Handle { typealias Object = LoadedCheckpoint }

/// The table behind every handle given to C: a slot index plus a generation counter, so a
/// released, stale, forged or zero handle is reported instead of dereferenced. Thread-safe.
/// An id is `tag << 32 | (slot + 1)`, the tag a 31-bit generation plus, in its top bit (bit 63
/// of the id), whether the handle is of a tensor whose storage holds at least `largeBytes`:
/// a binding that releases dead handles in batches releases those at once instead
/// (docs/abi-spec.md, "Handles").
final class Handles: @unchecked Sendable {
    /// The table used by all gs_ functions.
    static let shared = Handles()

    /// Storage size from which a tensor's handle carries the large flag.
    static let largeBytes = 16 * 1024
    /// The large flag in a slot's tag.
    private static let largeTag: UInt32 = 1 << 31

    private var objects: [AnyObject?] = []
    /// Each slot's tag: its generation (1 to 2^31 - 1), with `largeTag` while it holds a large tensor.
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

    /// A new handle of type `H` owning a reference to `object`.
    func insert<H: Handle>(_ object: H.Object) -> H { H(id: insert(object)) }

    /// The object behind `handle`, checked to be of its kind.
    func lookup<H: Handle>(_ handle: H, _ op: String, _ name: String) throws -> H.Object {
        try lookup(handle.id, as: H.Object.self, op, name)
    }

    /// Drops `handle`, a live handle of its kind (else an error naming it as `name`); using it
    /// again is an error.
    func release<H: Handle>(_ handle: H, _ op: String, _ name: String) throws {
        let id = handle.id
        let outcome: ReleaseOutcome = locked {
            guard let slot = liveSlot(id), let object = objects[slot] else { return .dead }
            guard object is H.Object else { return .otherKind(object) }
            retire(slot)
            liveCount -= 1
            return .released(object)
        }
        switch outcome {
        case .released:
            break  // the object is released here, outside the lock
        case .dead:
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(id) is not a live handle (zero, released twice, stale or forged)")
        case .otherKind(let object):
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(id) is a \(type(of: object)), not a \(H.Object.self)")
        }
    }

    /// Drops every handle of `handles` under one lock: all of them when each is a live handle
    /// of its kind and none repeats, else none (an error naming the first offender as
    /// `name[i]`).
    func release<H: Handle>(_ handles: [H], _ op: String, _ name: String) throws {
        var released: [AnyObject] = []  // released here, outside the lock
        released.reserveCapacity(handles.count)
        let failure: (Int, ReleaseOutcome)? = locked {
            var slots: [Int] = []
            slots.reserveCapacity(handles.count)
            for (i, handle) in handles.enumerated() {
                guard let slot = liveSlot(handle.id), let object = objects[slot], !slots.contains(slot) else {
                    return (i, .dead)
                }
                guard object is H.Object else { return (i, .otherKind(object)) }
                slots.append(slot)
            }
            for slot in slots {
                if let object = objects[slot] { released.append(object) }
                retire(slot)
            }
            liveCount -= slots.count
            return nil
        }
        guard let (i, outcome) = failure else { return }
        let id = handles[i].id
        if case .otherKind(let object) = outcome {
            throw CallError(status: .invalidHandle, message: "\(op): \(name)[\(i)] \(id) is a \(type(of: object)), not a \(H.Object.self)")
        }
        throw CallError(status: .invalidHandle, message: "\(op): \(name)[\(i)] \(id) is not a live handle (zero, released, repeated, stale or forged)")
    }

    /// Empties `slot` and moves it to its next generation (call with the lock held).
    private func retire(_ slot: Int) {
        objects[slot] = nil
        let generation = generations[slot] & ~Handles.largeTag
        generations[slot] = generation == Handles.largeTag - 1 ? 1 : generation + 1
        freeSlots.append(slot)
    }

    /// A new id owning a reference to `object`.
    private func insert(_ object: AnyObject) -> UInt64 {
        let large = (object as? Tensor).map { $0.storage.byteCount >= Handles.largeBytes } ?? false
        return locked {
            let slot: Int
            if let reused = freeSlots.popLast() {
                slot = reused
                objects[slot] = object
            } else {
                slot = objects.count
                objects.append(object)
                generations.append(1)
            }
            generations[slot] = generations[slot] & ~Handles.largeTag | (large ? Handles.largeTag : 0)
            liveCount += 1
            return UInt64(generations[slot]) << 32 | UInt64(slot + 1)
        }
    }

    /// The object behind the id `handle`, which must be of type `T`.
    private func lookup<T>(_ handle: UInt64, as _: T.Type, _ op: String, _ name: String) throws -> T {
        let object: AnyObject? = locked { liveSlot(handle).flatMap { objects[$0] } }
        guard let object else {
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(handle) is not a live handle (zero, released, stale or forged)")
        }
        guard let typed = object as? T else {
            throw CallError(status: .invalidHandle, message: "\(op): \(name) \(handle) is a \(type(of: object)), not a \(T.self)")
        }
        return typed
    }

    /// The table slot of `id` when its generation is current (call with the lock held).
    private func liveSlot(_ id: UInt64) -> Int? {
        let slot = Int(id & 0xFFFF_FFFF) - 1
        return slot >= 0 && slot < objects.count && UInt64(generations[slot]) == id >> 32 ? slot : nil
    }

    /// Number of live handles.
    var count: Int { locked { liveCount } }
}

/// What `Handles.release` found under the table's lock.
private enum ReleaseOutcome {
    /// The object was removed from the table (and is released by the caller, unlocked).
    case released(AnyObject)
    /// No live handle has the id.
    case dead
    /// The handle is live but stands for an object of another kind.
    case otherKind(AnyObject)
}

/// Looks up an optional tensor handle (id 0 means none).
func optionalTensor(_ handle: gs_tensor, _ op: String, _ name: String) throws -> Tensor? {
    handle.id == 0 ? nil : try tensor(handle, op, name)
}

/// Looks up a tensor handle.
@inline(__always)
func tensor(_ handle: gs_tensor, _ op: String, _ name: String = "tensor") throws -> Tensor {
    try Handles.shared.lookup(handle, op, name)
}
