#if canImport(Glibc)
import Glibc
#endif

/// A block of raw, 64-byte aligned memory owned by one or more tensors.
public final class Storage {
    /// The first byte of the block.
    public let bytes: UnsafeMutableRawPointer
    /// The usable size in bytes.
    public let byteCount: Int

    /// Requests larger than this fail with `outOfMemory` instead of being overcommitted.
    static let allocationLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? pages * pageSize : Int.max
    }()

    /// Allocates `byteCount` bytes (uninitialised unless `zeroed`).
    public init(byteCount: Int, zeroed: Bool = false, op: String = "allocate") throws {
        guard byteCount >= 0, byteCount <= Storage.allocationLimit else {
            throw EngineError.outOfMemory("\(op): cannot allocate \(byteCount) bytes")
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(byteCount, 64)) == 0, let raw else {
            throw EngineError.outOfMemory("\(op): cannot allocate \(byteCount) bytes")
        }
        if zeroed { memset(raw, 0, byteCount) }
        self.bytes = raw
        self.byteCount = byteCount
    }

    deinit { free(bytes) }
}
