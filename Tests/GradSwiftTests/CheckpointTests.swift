#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import GradSwift

/// A test-only module with a parameter of its own and one in a sub-module.
private final class TwoParameters: Module {
    init(seed: Double, biasSize: Int = 3) throws {
        super.init(kind: "TwoParameters")
        try register("weight", try tensor([1, 2, 3, 4, 5, 6].map { $0 * seed }, [2, 3]))
        let inner = Module(kind: "Inner")
        try inner.register("bias", try Tensor.full(seed, dtype: .float32, shape: [biasSize]), trainable: false)
        register("inner", inner)
    }
}

final class CheckpointTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/gradswift-checkpoint-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        directory = String(cString: made)
    }

    override func tearDown() {
        for name in files() { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// The names in the test directory.
    private func files() -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private func bytes(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            result += buffer[0..<n]
        }
        return result
    }

    private func write(_ data: [UInt8], to path: String) {
        let f = fopen(path, "wb")!
        _ = data.withUnsafeBytes { fwrite($0.baseAddress, 1, data.count, f) }
        fclose(f)
    }

    /// The raw bytes of a tensor.
    private func raw(_ t: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: t.storage.bytes, count: t.byteCount))
    }

    private func sample() throws -> [(name: String, tensor: Tensor)] {
        [("fc.weight", try Tensor.uniform(low: -1, high: 1, dtype: .float32, shape: [3, 4])),
         ("fc.bias", try tensor([0.5, -1.5, 2.25], [3])),
         ("step", try integers([42], [])),
         ("mask", try Ops.cast(try integers([1, 0, 1], [3]), to: .bool)),
         ("empty", try Tensor(shape: [0, 2], dtype: .float64))]
    }

    private func assertSame(_ got: [(name: String, tensor: Tensor)], _ want: [(name: String, tensor: Tensor)],
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.map(\.name), want.map(\.name), file: file, line: line)
        for (g, w) in zip(got, want) {
            XCTAssertEqual(g.tensor.dtype, w.tensor.dtype, g.name, file: file, line: line)
            XCTAssertEqual(g.tensor.shape, w.tensor.shape, g.name, file: file, line: line)
            XCTAssertEqual(raw(g.tensor), raw(w.tensor), g.name, file: file, line: line)
        }
    }

    private func assertFails(_ path: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint.load(from: path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
        }
    }

    func testRoundTripOfEveryDtypeAndShape() throws {
        let path = directory + "/a.npz"
        let entries = try sample()
        try Checkpoint.save(entries, to: path)
        assertSame(try Checkpoint.load(from: path), entries)
        XCTAssertEqual(files(), ["a.npz"])
    }

    func testStructureTextRoundTripsBesideTheTensors() throws {
        let path = directory + "/s.npz"
        let entries = try sample()
        let text = #"{"dict":[["w",{"array":"w"}],["été",1]]}"#
        try Checkpoint.save(entries, structure: text, to: path)
        let loaded = try Checkpoint.loadWithStructure(from: path)
        XCTAssertEqual(loaded.structure, text)
        assertSame(loaded.entries, entries)
        try Checkpoint.save(entries, to: path)
        XCTAssertNil(try Checkpoint.loadWithStructure(from: path).structure)
    }

    func testFileSystemFailuresCarryTheirErrno() throws {
        XCTAssertThrowsError(try Checkpoint.load(from: directory + "/nope.npz")) { error in
            guard case .system(.invalidArgument, let code)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, ENOENT)
        }
        XCTAssertThrowsError(try Checkpoint.save([], to: directory + "/no/such/dir.npz")) { error in
            guard case .system(_, let code)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, ENOENT)
        }
    }

    func testNpyHeaderIsNumpys() {
        let header = Npy.encodeHeader(dtype: .float32, shape: [2, 3])
        XCTAssertEqual(header.count % 64, 0)
        let text = String(decoding: header[10...], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertEqual(header.count, 128)  // what numpy.save writes for this array
        XCTAssertTrue(String(decoding: Npy.encodeHeader(dtype: .bool, shape: [7])[10...], as: UTF8.self)
            .hasPrefix("{'descr': '|b1', 'fortran_order': False, 'shape': (7,), }"))
        XCTAssertTrue(String(decoding: Npy.encodeHeader(dtype: .int64, shape: [])[10...], as: UTF8.self)
            .hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (), }"))
    }

    func testNpyHeaderParsingIsStrict() throws {
        func parse(_ text: String) throws -> (DType, [Int]) { try Npy.parseHeader(Array((text + "\n").utf8)) }
        XCTAssertEqual(try parse("{'shape': (2, 3,), \"descr\": '<f8', 'fortran_order': False}").1, [2, 3])
        XCTAssertEqual(try parse("{'descr': '|b1', 'fortran_order': False, 'shape': (), }  ").0, .bool)
        for bad in ["{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
                    "{'descr': '<f4', 'fortran_order': False}",
                    "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
                    "{'descr': '<f4', 'fortran_order': Nope, 'shape': (3,), }",
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x",
                    "{'descr: '<f4', 'fortran_order': False, 'shape': (3,), }",
                    ""] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
        XCTAssertThrowsError(try parse("{'descr': '<u4', 'fortran_order': False, 'shape': (3,), }")) {
            guard case ArchiveError.dtype = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try parse("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }")) {
            guard case ArchiveError.unsupported = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Npy.parseHeader(Array("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }".utf8)))
    }

    func testCrc32IsZlibs() {
        let check = Array("123456789".utf8).withUnsafeBytes { Zip.crc32($0) }
        XCTAssertEqual(check, 0xCBF4_3926)
        XCTAssertEqual(Array<UInt8>().withUnsafeBytes { Zip.crc32($0) }, 0)
    }

    func testModuleSaveAndLoad() throws {
        let path = directory + "/m.npz"
        let source = try TwoParameters(seed: 2), target = try TwoParameters(seed: 5)
        XCTAssertEqual(source.namedParameters().map(\.name), ["weight", "inner.bias"])
        try source.save(to: path)
        let view = target.namedParameters()[0].tensor  // the parameter object keeps its identity
        try target.load(from: path)
        XCTAssertTrue(target.namedParameters()[0].tensor === view)
        assertSame(target.namedParameters(), source.namedParameters())
        XCTAssertTrue(view.requiresGrad)
        XCTAssertFalse(target.namedParameters()[1].tensor.requiresGrad)
    }

    func testFailedModuleLoadChangesNothing() throws {
        let target = try TwoParameters(seed: 5)
        let before = target.namedParameters().map { raw($0.tensor) }
        let cases: [(entries: [(name: String, tensor: Tensor)], message: String)] = [
            ([("weight", try tensor(Array(repeating: 9, count: 6), [2, 3]))], "missing 'inner.bias'"),
            (try TwoParameters(seed: 9).namedParameters() + [("extra", try tensor([1], [1]))], "unexpected 'extra'"),
            (try TwoParameters(seed: 9, biasSize: 4).namedParameters(), "float32 (3,), '"),
            ([("weight", try tensor(Array(repeating: 9, count: 6), [2, 3])),
              ("inner.bias", try tensor([1, 2, 3], [3]))], "holds float64 (3,)"),
        ]
        for (i, c) in cases.enumerated() {
            let path = directory + "/bad\(i).npz"
            try Checkpoint.save(c.entries, to: path)
            XCTAssertThrowsError(try target.load(from: path)) { error in
                XCTAssertTrue("\(error)".contains(c.message), "\(error)")
            }
            XCTAssertEqual(target.namedParameters().map { raw($0.tensor) }, before)
        }
    }

    func testSaveValidatesBeforeTouchingTheFile() throws {
        let path = directory + "/keep.npz"
        try Checkpoint.save(try sample(), to: path)
        let before = bytes(path)
        let t = try tensor([1], [1])
        for (entries, message) in [([("a", t), ("a", t)], "twice"), ([("__gradswift__", t)], "reserved"),
                                   ([("", t)], "non-empty"), ([("a\0b", t)], "NUL")] {
            XCTAssertThrowsError(try Checkpoint.save(entries, to: path)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        XCTAssertThrowsError(try Checkpoint.save([("a", t)], to: directory + "/missing/x.npz")) {
            XCTAssertTrue("\($0)".contains("cannot create"), "\($0)")
        }
        XCTAssertThrowsError(try Checkpoint.save([("a", t)], to: directory)) {  // rename over a directory fails
            XCTAssertTrue("\($0)".contains("cannot replace"), "\($0)")
        }
        XCTAssertEqual(bytes(path), before)
        XCTAssertEqual(files(), ["keep.npz"])
    }

    func testMissingAndForeignFiles() throws {
        assertFails(directory + "/nope.npz", "no such file")
        assertFails(directory, "not a regular file")
        write(Array("not a zip".utf8), to: directory + "/text.npz")
        assertFails(directory + "/text.npz", "is not a valid gradswift checkpoint: ")
        write([], to: directory + "/empty.npz")
        assertFails(directory + "/empty.npz", "too short")
    }

    func testEveryTruncationAndByteFlipIsCaughtOrHarmless() throws {
        let path = directory + "/small.npz", damaged = directory + "/damaged.npz"
        let entries = [("a", try tensor([1.5, -2], [2])), ("b", try integers([7], []))]
        try Checkpoint.save(entries, to: path)
        let data = bytes(path)
        for size in 0..<data.count {
            write(Array(data[0..<size]), to: damaged)
            XCTAssertThrowsError(try Checkpoint.load(from: damaged), "truncated to \(size)")
        }
        for at in 0..<data.count {
            for bit: UInt8 in [0x01, 0x80] {
                var flipped = data
                flipped[at] ^= bit
                write(flipped, to: damaged)
                if let got = try? Checkpoint.load(from: damaged) { assertSame(got, entries) }
            }
        }
        // a flipped byte in the data is a CRC error
        var flipped = data
        let at = data.count / 4
        flipped[at] ^= 1
        write(flipped, to: damaged)
        assertFails(damaged, "CRC-32 mismatch")
    }

    /// A stored archive of the given members, written with the engine's own ZIP writer.
    private func archive(_ members: [(String, [UInt8])], to path: String) throws {
        var out: [UInt8] = []
        var writer = ZipWriter { out += $0 }
        for (name, data) in members { try data.withUnsafeBytes { try writer.add(name: name, parts: [$0]) } }
        try writer.finish()
        write(out, to: path)
    }

    private func npy(_ t: Tensor) -> [UInt8] { Npy.encodeHeader(dtype: t.dtype, shape: t.shape) + raw(t) }

    func testVersionDtypeAndMemberChecks() throws {
        let p = directory + "/x.npz"
        let one = try tensor([1], [1])
        try archive([("__gradswift__.npy", npy(try integers([2], [1]))), ("x.npy", npy(one))], to: p)
        assertFails(p, "format version 2 is newer")
        try archive([("__gradswift__.npy", npy(try tensor([1], [1])))], to: p)
        assertFails(p, "non-empty 1-D int64")
        try archive([("x.npy", npy(one)), ("y.txt", [1, 2])], to: p)
        assertFails(p, "'y.txt' is not a .npy array")
        try archive([("__gradswift_x__.npy", npy(one))], to: p)
        assertFails(p, "unknown reserved member")
        var uint32 = npy(one)
        uint32.replaceSubrange(21..<24, with: Array("<u4".utf8))  // the descr
        try archive([("x.npy", uint32)], to: p)
        XCTAssertThrowsError(try Checkpoint.load(from: p)) { error in
            guard case EngineError.dtype(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("member 'x.npy' has an unsupported dtype '<u4'"), m)
        }
        try archive([("x.npy", npy(one) + [0])], to: p)
        assertFails(p, "needs 8 data bytes, the member has 9")
        // no metadata member (numpy.savez) and a structure member (Python) are both fine
        try archive([("x.npy", npy(one)), ("__gradswift_structure__.npy", [1, 2, 3])], to: p)
        assertSame(try Checkpoint.load(from: p), [("x", one)])
    }
}
