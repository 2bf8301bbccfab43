/// The subset of the ZIP format checkpoints use: members stored without compression, each with
/// its CRC-32, no encryption, no ZIP64 (so every member and the archive stay below 4 GiB and
/// there are at most 65,534 members).
///
/// An archive is, for each member, a local header (30 bytes, then the name) followed by the
/// member's bytes; then the central directory (a 46-byte header and the name per member); then
/// the 22-byte end-of-central-directory record giving the directory's size and offset.
enum Zip {
    static let localSignature: UInt32 = 0x0403_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let localHeaderSize = 30
    static let centralHeaderSize = 46
    static let endRecordSize = 22
    /// The largest offset or size a plain (non-ZIP64) archive can record.
    static let limit = 0xFFFF_FFFE
    /// The most members a plain archive can hold (0xFFFF marks ZIP64).
    static let maxMembers = 0xFFFE
    /// Date 1980-01-01, time 00:00, as Python's `zipfile.ZipInfo` writes by default: files with
    /// the same contents have the same bytes.
    static let dosDate: UInt16 = 0x0021, dosTime: UInt16 = 0
    /// Flag bit 11: the name is UTF-8 (set for non-ASCII names, as Python does).
    static let utf8Flag: UInt16 = 0x0800

    /// The standard CRC-32 (polynomial 0xEDB88320, as in zlib) of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        crcTable.withUnsafeBufferPointer { table in
            for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Why members with these name lengths and sizes do not fit a plain ZIP archive, or nil.
    static func sizeProblem(nameLengths: [Int], sizes: [Int]) -> String? {
        guard nameLengths.count <= maxMembers else {
            return "\(nameLengths.count) members exceed the format's limit of \(maxMembers)"
        }
        var total = endRecordSize
        for (nameLength, size) in zip(nameLengths, sizes) {
            guard nameLength <= 0xFFFF else { return "a member name of \(nameLength) bytes exceeds 65,535 bytes" }
            guard size <= limit else { return "a member of \(size) bytes exceeds the format's 4 GiB limit (no ZIP64)" }
            total += localHeaderSize + centralHeaderSize + 2 * nameLength + size
            guard total <= limit else { return "the archive exceeds the format's 4 GiB limit (no ZIP64)" }
        }
        return nil
    }
}

/// Writes a stored ZIP archive through `output` (which performs the actual writes), member by
/// member. The caller checks `Zip.sizeProblem` first, so every offset fits in 32 bits.
struct ZipWriter {
    private let output: (UnsafeRawBufferPointer) throws -> Void
    private var offset = 0
    private var written: [(name: [UInt8], crc: UInt32, size: Int, offset: Int)] = []

    init(output: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.output = output
    }

    /// Appends a member called `name` whose bytes are the concatenation of `parts`.
    mutating func add(name: String, parts: [UnsafeRawBufferPointer]) throws {
        let nameBytes = Array(name.utf8)
        let headerOffset = offset
        var crc: UInt32 = 0, size = 0
        for part in parts {
            crc = Zip.crc32(part, continuing: crc)
            size += part.count
        }
        var header = ByteWriter()
        header.u32(Zip.localSignature)
        header.u16(20)  // version needed to extract: 2.0
        header.u16(flags(nameBytes))
        header.u16(0)  // method: stored
        header.u16(Zip.dosTime)
        header.u16(Zip.dosDate)
        header.u32(crc)
        header.u32(UInt32(size))
        header.u32(UInt32(size))
        header.u16(UInt16(nameBytes.count))
        header.u16(0)  // extra field length
        header.bytes += nameBytes
        try emit(header.bytes)
        for part in parts where part.count > 0 { try emitRaw(part) }
        written.append((nameBytes, crc, size, headerOffset))
    }

    /// Writes the central directory and the end record.
    mutating func finish() throws {
        let start = offset
        for entry in written {
            var header = ByteWriter()
            header.u32(Zip.centralSignature)
            header.u16(3 << 8 | 20)  // made by: Unix, version 2.0
            header.u16(20)
            header.u16(flags(entry.name))
            header.u16(0)
            header.u16(Zip.dosTime)
            header.u16(Zip.dosDate)
            header.u32(entry.crc)
            header.u32(UInt32(entry.size))
            header.u32(UInt32(entry.size))
            header.u16(UInt16(entry.name.count))
            header.u16(0)  // extra field length
            header.u16(0)  // comment length
            header.u16(0)  // disk number
            header.u16(0)  // internal attributes
            header.u32(0o100644 << 16)  // external attributes: a regular file, rw-r--r--
            header.u32(UInt32(entry.offset))
            header.bytes += entry.name
            try emit(header.bytes)
        }
        var end = ByteWriter()
        end.u32(Zip.endSignature)
        end.u16(0)  // this disk
        end.u16(0)  // disk of the central directory
        end.u16(UInt16(written.count))
        end.u16(UInt16(written.count))
        end.u32(UInt32(offset - start))
        end.u32(UInt32(start))
        end.u16(0)  // comment length
        try emit(end.bytes)
    }

    private func flags(_ name: [UInt8]) -> UInt16 {
        name.allSatisfy { $0 < 0x80 } ? 0 : Zip.utf8Flag
    }

    private mutating func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emitRaw($0) }
    }

    private mutating func emitRaw(_ bytes: UnsafeRawBufferPointer) throws {
        try output(bytes)
        offset += bytes.count
    }
}

/// Little-endian fields appended to a byte array.
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) { u16(UInt16(v & 0xFFFF)); u16(UInt16(v >> 16)) }
}

/// A member found by `ZipReader`: its name and where its bytes are in the archive.
struct ZipMember {
    let name: String
    let data: Range<Int>
}

/// Reads the member list of a stored ZIP archive held in memory, validating every structure:
/// signatures, bounds of every offset and length, names (UTF-8, unique, the same in the local
/// and central headers), no overlap between members, and each member's CRC-32. The central
/// directory is authoritative for sizes (local headers may carry ZIP64 extras and size
/// placeholders, as `numpy.savez` writes them).
enum ZipReader {
    static func members(of archive: UnsafeRawBufferPointer) throws -> [ZipMember] {
        let bytes = BoundedBytes(archive)
        let endAt = try findEndRecord(bytes)
        if endAt >= 20, try bytes.u32(endAt - 20) == Zip.zip64LocatorSignature {
            throw ArchiveError.unsupported("ZIP64 archive (only archives below 4 GiB without ZIP64 are read)")
        }
        let thisDisk = try bytes.u16(endAt + 4), directoryDisk = try bytes.u16(endAt + 6)
        let onDisk = try bytes.u16(endAt + 8), total = try bytes.u16(endAt + 10)
        let directorySize = try bytes.u32(endAt + 12), directoryOffset = try bytes.u32(endAt + 16)
        guard total != 0xFFFF && directorySize != 0xFFFF_FFFF && directoryOffset != 0xFFFF_FFFF else {
            throw ArchiveError.unsupported("ZIP64 archive (only archives below 4 GiB without ZIP64 are read)")
        }
        guard thisDisk == 0 && directoryDisk == 0 && onDisk == total else {
            throw ArchiveError.unsupported("multi-disk ZIP archive")
        }
        let directoryStart = Int(directoryOffset), directoryEnd = Int(directoryOffset) + Int(directorySize)
        guard directoryEnd == endAt else {
            throw ArchiveError.corrupt("the central directory (offset \(directoryStart), \(directorySize) bytes) does not end where the end record begins (byte \(endAt)): truncated or damaged")
        }

        // The central directory: one header per member.
        var entries: [(name: [UInt8], crc: UInt32, size: Int, local: Int)] = []
        var p = directoryStart
        for _ in 0..<Int(total) {
            guard p + Zip.centralHeaderSize <= directoryEnd, try bytes.u32(p) == Zip.centralSignature else {
                throw ArchiveError.corrupt("central directory entry \(entries.count) is damaged")
            }
            let flags = try bytes.u16(p + 8), method = try bytes.u16(p + 10)
            let crc = try bytes.u32(p + 16)
            let compressed = try bytes.u32(p + 20), size = try bytes.u32(p + 24)
            let nameLength = Int(try bytes.u16(p + 28)), extraLength = Int(try bytes.u16(p + 30))
            let commentLength = Int(try bytes.u16(p + 32)), local = try bytes.u32(p + 42)
            let next = p + Zip.centralHeaderSize + nameLength + extraLength + commentLength
            guard next <= directoryEnd else {
                throw ArchiveError.corrupt("central directory entry \(entries.count) runs past the directory")
            }
            let name = try bytes.slice(p + Zip.centralHeaderSize, nameLength)
            let shownName = String(decoding: name, as: UTF8.self)
            guard flags & 0x41 == 0 else { throw ArchiveError.unsupported("encrypted member '\(shownName)'") }
            guard method == 0 else {
                throw ArchiveError.unsupported("compressed member '\(shownName)' (method \(method); only stored members are read)")
            }
            guard size != 0xFFFF_FFFF && local != 0xFFFF_FFFF,
                  try !hasZip64Extra(bytes, from: p + Zip.centralHeaderSize + nameLength, length: extraLength) else {
                throw ArchiveError.unsupported("ZIP64 member '\(shownName)'")
            }
            guard compressed == size else {
                throw ArchiveError.corrupt("stored member '\(shownName)' has different compressed and uncompressed sizes")
            }
            entries.append((name, crc, Int(size), Int(local)))
            p = next
        }
        guard p == directoryEnd else {
            throw ArchiveError.corrupt("the central directory holds \(directoryEnd - p) bytes after its \(total) entries")
        }

        // The members, in archive order: local header, then bytes, without overlap, before the directory.
        var members: [ZipMember] = []
        var names = Set<String>()
        var previousEnd = 0
        for entry in entries.sorted(by: { $0.local < $1.local }) {
            guard let name = String(validating: entry.name, as: UTF8.self), !name.isEmpty, !name.contains("\0") else {
                throw ArchiveError.corrupt("a member name is empty or not valid UTF-8")
            }
            guard names.insert(name).inserted else { throw ArchiveError.corrupt("member '\(name)' appears twice") }
            let at = entry.local
            guard at >= previousEnd, at + Zip.localHeaderSize <= directoryStart,
                  try bytes.u32(at) == Zip.localSignature else {
                throw ArchiveError.corrupt("the local header of member '\(name)' (offset \(at)) is missing or overlaps another member")
            }
            guard try bytes.u16(at + 6) & 0x41 == 0, try bytes.u16(at + 8) == 0 else {
                throw ArchiveError.corrupt("the local header of member '\(name)' disagrees with the central directory")
            }
            let nameLength = Int(try bytes.u16(at + 26)), extraLength = Int(try bytes.u16(at + 28))
            let start = at + Zip.localHeaderSize + nameLength + extraLength
            guard start + entry.size <= directoryStart else {
                throw ArchiveError.corrupt("member '\(name)' runs past the start of the central directory: truncated or damaged")
            }
            guard try bytes.slice(at + Zip.localHeaderSize, nameLength) == entry.name else {
                throw ArchiveError.corrupt("member '\(name)' has a different name in its local header")
            }
            let data = start..<(start + entry.size)
            let crc = Zip.crc32(UnsafeRawBufferPointer(rebasing: archive[data]))
            guard crc == entry.crc else {
                throw ArchiveError.corrupt("CRC-32 mismatch in member '\(name)' (recorded \(hex(entry.crc)), computed \(hex(crc)))")
            }
            members.append(ZipMember(name: name, data: data))
            previousEnd = data.upperBound
        }
        return members
    }

    /// The offset of the end-of-central-directory record: the last signature whose comment
    /// length reaches exactly the end of the archive.
    private static func findEndRecord(_ bytes: BoundedBytes) throws -> Int {
        guard bytes.count >= Zip.endRecordSize else {
            throw ArchiveError.corrupt("\(bytes.count) bytes are too short for a ZIP archive")
        }
        let last = bytes.count - Zip.endRecordSize
        for at in stride(from: last, through: max(0, last - 0xFFFF), by: -1) {
            if try bytes.u32(at) == Zip.endSignature, Int(try bytes.u16(at + 20)) == last - at { return at }
        }
        throw ArchiveError.corrupt("no ZIP end-of-central-directory record (not a ZIP archive, or truncated)")
    }

    /// Whether the extra field at `from` holds a ZIP64 block (header id 1).
    private static func hasZip64Extra(_ bytes: BoundedBytes, from: Int, length: Int) throws -> Bool {
        var p = from
        while p + 4 <= from + length {
            if try bytes.u16(p) == 1 { return true }
            p += 4 + Int(try bytes.u16(p + 2))
        }
        return false
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Bounds-checked little-endian reads from an archive in memory: a read past either end throws.
private struct BoundedBytes {
    let base: UnsafeRawBufferPointer
    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var count: Int { base.count }

    func u16(_ at: Int) throws -> UInt16 {
        guard at >= 0 && at <= count - 2 else { throw outOfBounds(at) }
        return UInt16(base[at]) | UInt16(base[at + 1]) << 8
    }

    func u32(_ at: Int) throws -> UInt32 {
        guard at >= 0 && at <= count - 4 else { throw outOfBounds(at) }
        return UInt32(base[at]) | UInt32(base[at + 1]) << 8 | UInt32(base[at + 2]) << 16 | UInt32(base[at + 3]) << 24
    }

    func slice(_ at: Int, _ length: Int) throws -> [UInt8] {
        guard at >= 0 && length >= 0 && at <= count - length else { throw outOfBounds(at) }
        return Array(base[at..<(at + length)])
    }

    private func outOfBounds(_ at: Int) -> ArchiveError {
        .corrupt("a ZIP structure at byte \(at) runs past the end of the file (truncated)")
    }
}
