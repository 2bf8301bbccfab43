#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints: named tensors in one `.npz` file (a stored ZIP archive of `.npy` members, one
/// per tensor, named `<name>.npy`), which `numpy.load` reads as it is. The member
/// `__gradswift__.npy` holds the int64 array `[formatVersion]`. The format is described in
/// `docs/checkpoint-format.md`; the Python package reads and writes the same files.
public enum Checkpoint {
    /// The format version this engine writes and the newest it reads.
    public static let formatVersion: Int64 = 1
    /// The key of the metadata member.
    static let metadataKey = "__gradswift__"
    /// The key of the description of the saved object (UTF-8 JSON as a uint8 array), written
    /// for the Python package, which saves nested objects (docs/checkpoint-format.md).
    static let structureKey = "__gradswift_structure__"
    /// Keys starting with this are reserved for the format.
    static let reservedPrefix = "__gradswift"

    /// Writes `entries` (and `structure`, when given, as the structure member) to `path`
    /// atomically: the archive goes to a temporary file in the same directory, which is synced
    /// and renamed over `path` (then the directory is synced). On failure the temporary file is
    /// removed and any previous file at `path` is left intact. Names must be non-empty, unique,
    /// free of NUL and not start with `__gradswift`.
    public static func save(_ entries: [(name: String, tensor: Tensor)], structure: String? = nil, to path: String) throws {
        let op = "checkpoint_save"
        var seen = Set<String>()
        for entry in entries {
            guard !entry.name.isEmpty && !entry.name.contains("\0") else {
                throw EngineError.invalidArgument("\(op): tensor names must be non-empty and free of NUL characters")
            }
            guard !entry.name.hasPrefix(reservedPrefix) else {
                throw EngineError.invalidArgument("\(op): the name '\(entry.name)' is reserved (names starting with '\(reservedPrefix)' belong to the format)")
            }
            guard seen.insert(entry.name).inserted else {
                throw EngineError.invalidArgument("\(op): the name '\(entry.name)' appears twice")
            }
        }
        let version = try Tensor.full(Double(formatVersion), dtype: .int64, shape: [1])
        // Each member: its key, .npy header and data.
        var members = [(metadataKey, Npy.encodeHeader(dtype: .int64, shape: [1]), bytes(of: version))]
        let text = structure.map { Array($0.utf8) }
        if let text { members.append((structureKey, Npy.encodeHeader(descr: Npy.bytesDescr, shape: [text.count]), text)) }
        if let problem = Zip.sizeProblem(nameLengths: members.map { $0.0.utf8.count + 4 } + entries.map { $0.name.utf8.count + 4 },
                                         sizes: members.map { $0.1.count + $0.2.count }
                                             + entries.map { Npy.encodeHeader(dtype: $0.tensor.dtype, shape: $0.tensor.shape).count + $0.tensor.byteCount }) {
            throw EngineError.outOfMemory("\(op): cannot save to '\(path)': \(problem)")
        }
        try writeAtomically(path, op) { write in
            var archive = ZipWriter(output: write)
            for (name, header, data) in members {
                try header.withUnsafeBytes { h in try data.withUnsafeBytes { try archive.add(name: name + ".npy", parts: [h, $0]) } }
            }
            for (name, tensor) in entries {
                let header = Npy.encodeHeader(dtype: tensor.dtype, shape: tensor.shape)
                let data = UnsafeRawBufferPointer(start: tensor.storage.bytes, count: tensor.byteCount)
                try header.withUnsafeBytes { try archive.add(name: name + ".npy", parts: [$0, data]) }
            }
            try archive.finish()
        }
    }

    /// Reads the tensors of the checkpoint at `path`, in the file's order (the metadata member
    /// and the structure member, which this reader does not need, are not among them). Fails
    /// with a message naming the file when it is missing, not a ZIP archive, truncated, fails a
    /// CRC-32 check, has a bad `.npy` header or an unsupported dtype, or was written by a newer
    /// format version. Archives without the metadata member (`numpy.savez` output) are read as
    /// version 1.
    public static func load(from path: String) throws -> [(name: String, tensor: Tensor)] {
        try readArchive(path, structure: false).entries
    }

    /// As `load(from:)`, also giving the text of the structure member (checked to be a 1-D
    /// uint8 array of UTF-8) when the file has one.
    public static func loadWithStructure(from path: String) throws -> (entries: [(name: String, tensor: Tensor)], structure: String?) {
        try readArchive(path, structure: true)
    }

    /// The tensors of the checkpoint at `path`, and its structure text when `structure` asks for it.
    private static func readArchive(_ path: String, structure readStructure: Bool) throws -> (entries: [(name: String, tensor: Tensor)], structure: String?) {
        let op = "checkpoint_load"
        let file = try readFile(path, op)
        return try file.withUnsafeBytes { archive in
            do {
                let members = try ZipReader.members(of: archive).map { member -> (key: String, data: UnsafeRawBufferPointer) in
                    guard member.name.hasSuffix(".npy") && member.name.count > 4 else {
                        throw ArchiveError.corrupt("member '\(member.name)' is not a .npy array")
                    }
                    return (String(member.name.dropLast(4)), UnsafeRawBufferPointer(rebasing: archive[member.data]))
                }
                if let metadata = members.first(where: { $0.key == metadataKey }) {
                    try checkVersion(try within(metadata.key) { try Npy.decode(metadata.data) })
                }
                var structure: String?
                if readStructure, let member = members.first(where: { $0.key == structureKey }) {
                    let text = try within(member.key) { try Npy.decodeBytes(member.data) }
                    guard let decoded = String(validating: text, as: UTF8.self) else {
                        throw ArchiveError.corrupt("member '\(member.key).npy' is not UTF-8 text")
                    }
                    structure = decoded
                }
                var tensors: [(name: String, tensor: Tensor)] = []
                for member in members where member.key != metadataKey && member.key != structureKey {
                    guard !member.key.hasPrefix(reservedPrefix) else {
                        throw ArchiveError.corrupt("unknown reserved member '\(member.key).npy'")
                    }
                    tensors.append((member.key, try within(member.key) { try Npy.decode(member.data) }))
                }
                return (tensors, structure)
            } catch ArchiveError.corrupt(let message) {
                throw EngineError.invalidArgument("\(op): '\(path)' is not a valid gradswift checkpoint: \(message)")
            } catch ArchiveError.unsupported(let message) {
                throw EngineError.invalidArgument("\(op): '\(path)' is not a valid gradswift checkpoint: it uses a feature gradswift does not read: \(message)")
            } catch ArchiveError.newer(let message) {
                throw EngineError.invalidArgument("\(op): '\(path)' was written by a newer gradswift: \(message)")
            } catch ArchiveError.dtype(let message) {
                throw EngineError.dtype("\(op): '\(path)' is not a valid gradswift checkpoint: \(message)")
            }
        }
    }

    /// Checks the metadata array `[format_version, ...]`.
    private static func checkVersion(_ metadata: Tensor) throws {
        guard metadata.dtype == .int64 && metadata.rank == 1 && metadata.count >= 1 else {
            throw ArchiveError.corrupt("'\(metadataKey).npy' must be a non-empty 1-D int64 array, got \(metadata.dtype.name) \(describe(metadata.shape))")
        }
        let version = metadata.pointer(Int64.self)[0]
        guard version >= 1 else { throw ArchiveError.corrupt("format version \(version) is invalid") }
        guard version <= formatVersion else {
            throw ArchiveError.newer("format version \(version) is newer than this gradswift reads (\(formatVersion)); upgrade gradswift")
        }
    }

    /// Runs `body`, prefixing the member's name to any format error it throws.
    private static func within<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch ArchiveError.corrupt(let message) {
            throw ArchiveError.corrupt("member '\(key).npy': \(message)")
        } catch ArchiveError.unsupported(let message) {
            throw ArchiveError.unsupported("member '\(key).npy': \(message)")
        } catch ArchiveError.dtype(let message) {
            throw ArchiveError.dtype("member '\(key).npy' has an \(message)")
        }
    }

    // MARK: Files

    /// The contents of the regular file at `path`.
    private static func readFile(_ path: String, _ op: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw EngineError.system(.invalidArgument("\(op): no such file '\(path)'"), code: code) }
            throw systemError(code, EngineError.invalidArgument, "\(op): cannot open '\(path)'")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw systemError(errno, EngineError.invalidArgument, "\(op): cannot stat '\(path)'")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let notRegular = EngineError.invalidArgument("\(op): '\(path)' is not a regular file")
            throw info.st_mode & S_IFMT == S_IFDIR ? EngineError.system(notRegular, code: EISDIR) : notRegular
        }
        let size = Int(info.st_size)
        guard size <= Storage.allocationLimit else {
            throw EngineError.outOfMemory("\(op): '\(path)' (\(size) bytes) is too large to read")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let n = read(fd, buffer.baseAddress! + initialized, size - initialized)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? errno : EIO
                    break
                }
                initialized += n
            }
        }
        guard failure == 0 else {
            throw systemError(failure, EngineError.invalidState, "\(op): cannot read '\(path)'")
        }
        return bytes
    }

    /// Creates a temporary file next to `path`, lets `body` write the contents through the
    /// function it is given, syncs and renames it over `path`, then syncs the directory.
    private static func writeAtomically(
        _ path: String, _ op: String,
        _ body: (@escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        guard !path.isEmpty else { throw EngineError.invalidArgument("\(op): the path is empty") }
        let temp = "\(path).tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw systemError(errno, EngineError.invalidArgument, "\(op): cannot create '\(temp)'")
        }
        var isOpen = true
        do {
            try body { buffer in
                var done = 0
                while done < buffer.count {
                    let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else {
                        throw systemError(n < 0 ? errno : EIO, EngineError.invalidState, "\(op): cannot write '\(temp)'")
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else {
                throw systemError(errno, EngineError.invalidState, "\(op): cannot sync '\(temp)'")
            }
            isOpen = false
            guard close(fd) == 0 else {
                throw systemError(errno, EngineError.invalidState, "\(op): cannot close '\(temp)'")
            }
            guard rename(temp, path) == 0 else {
                throw systemError(errno, EngineError.invalidArgument, "\(op): cannot replace '\(path)'")
            }
        } catch {
            if isOpen { close(fd) }
            unlink(temp)
            throw error
        }
        let directory = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else {
            throw systemError(errno, EngineError.invalidState, "\(op): saved '\(path)' but cannot open its directory to sync it")
        }
        defer { close(dirfd) }
        guard fsync(dirfd) == 0 || errno == EINVAL else {
            throw systemError(errno, EngineError.invalidState, "\(op): saved '\(path)' but cannot sync its directory")
        }
    }

    /// The bytes of a tensor's elements.
    private static func bytes(of tensor: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: tensor.storage.bytes, count: tensor.byteCount))
    }

    /// The error for a failed system call: `kind` with `message` and the reason for `code`,
    /// carrying `code` so that bindings can raise their own error for it (gs_last_errno).
    private static func systemError(_ code: Int32, _ kind: (String) -> EngineError, _ message: String) -> EngineError {
        .system(kind("\(message): \(String(cString: strerror(code)))"), code: code)
    }
}

extension Module {
    /// Saves every parameter (trainable or not) under its dotted name (`"0.weight"`) to the
    /// checkpoint at `path`, atomically (see `Checkpoint.save`).
    public func save(to path: String) throws {
        try Checkpoint.save(namedParameters(), to: path)
    }

    /// Copies the tensors of the checkpoint at `path` into the parameters of the same names.
    /// Every parameter must be present with its shape and dtype, and the checkpoint must hold
    /// nothing else; all of this is checked before any parameter is written, so a failed load
    /// changes nothing. Parameters keep their identity (views of them see the new values).
    public func load(from path: String) throws {
        let op = "module_load"
        let loaded = try Checkpoint.load(from: path)
        let own = namedParameters()
        let stored = Dictionary(loaded.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let ownNames = Set(own.map(\.name))
        let missing = own.map(\.name).filter { stored[$0] == nil }
        let unexpected = loaded.map(\.name).filter { !ownNames.contains($0) }
        guard missing.isEmpty && unexpected.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing " + quoted(missing)) }
            if !unexpected.isEmpty { parts.append("unexpected " + quoted(unexpected)) }
            throw EngineError.invalidArgument("\(op): '\(path)' does not match this \(kind): \(parts.joined(separator: "; "))")
        }
        for (name, tensor) in own {
            let source = stored[name]!
            guard source.shape == tensor.shape && source.dtype == tensor.dtype else {
                throw EngineError.shapeMismatch("\(op): '\(name)' of this \(kind) is \(tensor.dtype.name) \(describe(tensor.shape)), '\(path)' holds \(source.dtype.name) \(describe(source.shape))")
            }
        }
        for (name, tensor) in own where tensor.byteCount > 0 {
            memcpy(tensor.storage.bytes, stored[name]!.storage.bytes, tensor.byteCount)
        }
    }

    private func quoted(_ names: [String]) -> String {
        let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
    }
}
