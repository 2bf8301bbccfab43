#if canImport(Glibc)
import Glibc
#endif

/// Why a checkpoint file cannot be read: `corrupt` for damaged or malformed bytes, `unsupported`
/// for a well-formed file using a feature gradswift does not read (compression, ZIP64, Fortran
/// order), `newer` for a newer format version, `dtype` for an array of a dtype the engine lacks.
enum ArchiveError: Error {
    case corrupt(String)
    case unsupported(String)
    case newer(String)
    case dtype(String)
}

/// NumPy's `.npy` format, version 1.0, for the four engine dtypes (little-endian, C order), and
/// for the bytes of a 1-D uint8 array (the checkpoint's structure member).
///
/// A file is the magic `\x93NUMPY`, the version bytes 1 and 0, a little-endian UInt16 header
/// length, the header (a Python dict literal with exactly the keys `descr`, `fortran_order` and
/// `shape`, padded with spaces to a multiple of 64 bytes and ended by a newline) and the raw
/// elements. `encodeHeader` writes the same bytes as `numpy.save`.
enum Npy {
    /// The magic string and version 1.0.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    /// Bytes before the header text: magic, version, header length.
    static let prefixLength = 10

    /// The `descr` NumPy writes for each engine dtype.
    static func descr(_ dtype: DType) -> String {
        switch dtype {
        case .float16: return "<f2"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int8: return "|i1"
        case .uint8: return "|u1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .bool: return "|b1"
        }
    }

    /// The `descr` of the bytes of a uint8 array.
    static let bytesDescr = "|u1"

    /// The header (prefix, dict, padding, newline) of an array of `dtype` and `shape`.
    static func encodeHeader(dtype: DType, shape: [Int]) -> [UInt8] {
        encodeHeader(descr: descr(dtype), shape: shape)
    }

    /// The header of an array of `descr` (a NumPy type string) and `shape`.
    static func encodeHeader(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
        // NumPy leaves room for the first dimension to grow to 21 digits, then pads so the data
        // starts at a multiple of 64 bytes (adding 64 spaces when it already would).
        if let first = shape.first { text += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let padding = 64 - (prefixLength + text.utf8.count + 1) % 64
        text += String(repeating: " ", count: padding) + "\n"
        let length = text.utf8.count  // at most a few hundred bytes: rank <= Shape.maxRank
        return magic + [UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
    }

    /// Reads an array from the complete bytes of a `.npy` member, checking the magic, the version,
    /// every header field and that the data has exactly the size the header implies.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Tensor {
        let (header, dataStart) = try splitHeader(bytes)
        let (dtype, shape) = try parseHeader(header)
        // The size the header claims is checked against the member before anything is allocated.
        let count: Int
        do {
            count = try Shape.count(shape, op: "checkpoint")
        } catch let error as EngineError {
            throw ArchiveError.corrupt("array of shape \(describe(shape)) cannot be created (\(error))")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow && bytes.count - dataStart == needed else {
            throw ArchiveError.corrupt("\(dtype.name) array of shape \(describe(shape)) needs \(overflow ? "more than 2^63" : String(needed)) data bytes, the member has \(bytes.count - dataStart)")
        }
        let tensor: Tensor
        do {
            tensor = try Tensor(shape: shape, dtype: dtype, op: "checkpoint")
        } catch let error as EngineError {
            throw ArchiveError.corrupt("array of shape \(describe(shape)) cannot be created (\(error))")
        }
        if tensor.byteCount > 0 {
            memcpy(tensor.storage.bytes, bytes.baseAddress! + dataStart, tensor.byteCount)
        }
        if dtype == .bool {
            // Any nonzero byte is true (as in NumPy); store it as 1, the only true value Swift's Bool knows.
            let b = tensor.pointer(UInt8.self)
            for i in 0..<tensor.count where b[i] > 1 { b[i] = 1 }
        }
        return tensor
    }

    /// The bytes of a 1-D uint8 (`|u1`) array, checked as `decode` checks arrays.
    static func decodeBytes(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        let (header, dataStart) = try splitHeader(bytes)
        let (descrValue, shape) = try parseFields(header)
        guard descrValue == bytesDescr && shape.count == 1 else {
            throw ArchiveError.corrupt("expected a 1-D uint8 array, got '\(descrValue)' of shape \(describe(shape))")
        }
        guard bytes.count - dataStart == shape[0] else {
            throw ArchiveError.corrupt("uint8 array of shape \(describe(shape)) needs \(shape[0]) data bytes, the member has \(bytes.count - dataStart)")
        }
        return Array(bytes[dataStart...])
    }

    /// Checks the magic and version: the header's bytes and the offset of the data.
    private static func splitHeader(_ bytes: UnsafeRawBufferPointer) throws -> ([UInt8], Int) {
        guard bytes.count >= prefixLength, Array(bytes[0..<6]) == Array(magic[0..<6]) else {
            throw ArchiveError.corrupt("not a .npy array (bad magic)")
        }
        guard bytes[6] == 1 && bytes[7] == 0 else {
            throw ArchiveError.unsupported(".npy format version \(bytes[6]).\(bytes[7]) (only 1.0 is read)")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        guard prefixLength + headerLength <= bytes.count else {
            throw ArchiveError.corrupt(".npy header of \(headerLength) bytes runs past the end of the member")
        }
        return (Array(bytes[prefixLength..<(prefixLength + headerLength)]), prefixLength + headerLength)
    }

    /// The dtype and shape of an array header (see `parseFields`) of an engine dtype.
    static func parseHeader(_ header: [UInt8]) throws -> (DType, [Int]) {
        let (descrValue, shape) = try parseFields(header)
        guard let dtype = DType.allCases.first(where: { descr($0) == descrValue }) else {
            throw ArchiveError.dtype("unsupported dtype '\(descrValue)' (only little-endian float32 '<f4', float64 '<f8', int64 '<i8' and bool '|b1' are read)")
        }
        return (dtype, shape)
    }

    /// Parses the header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
    /// (keys in any order, either quote style, optional trailing comma), then spaces and a newline;
    /// gives the descr and the shape.
    private static func parseFields(_ header: [UInt8]) throws -> (String, [Int]) {
        guard header.last == UInt8(ascii: "\n") else {
            throw ArchiveError.corrupt(".npy header does not end with a newline")
        }
        var scanner = HeaderScanner(bytes: header)
        var descrValue: String?, fortranValue: Bool?, shapeValue: [Int]?
        try scanner.expect("{")
        while !scanner.consume("}") {
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr" where descrValue == nil: descrValue = try scanner.string()
            case "fortran_order" where fortranValue == nil: fortranValue = try scanner.boolean()
            case "shape" where shapeValue == nil: shapeValue = try scanner.tuple()
            default: throw ArchiveError.corrupt(".npy header has an unexpected or repeated key '\(key)'")
            }
            if !scanner.consume(",") {
                try scanner.expect("}")
                break
            }
        }
        try scanner.expectEnd()
        guard let descrValue, let fortranValue, let shapeValue else {
            throw ArchiveError.corrupt(".npy header lacks one of 'descr', 'fortran_order', 'shape'")
        }
        guard !fortranValue else {
            throw ArchiveError.unsupported("Fortran-order array (only C order is read)")
        }
        guard shapeValue.count <= Shape.maxRank else {
            throw ArchiveError.unsupported("array of rank \(shapeValue.count) (the maximum is \(Shape.maxRank))")
        }
        return (descrValue, shapeValue)
    }
}

/// A cursor over the ASCII text of a `.npy` header; every read is bounds-checked.
private struct HeaderScanner {
    let bytes: [UInt8]
    var position = 0

    /// Skips spaces.
    private mutating func skipSpaces() {
        while position < bytes.count && bytes[position] == UInt8(ascii: " ") { position += 1 }
    }

    /// Consumes `token` (after spaces) when it comes next.
    mutating func consume(_ token: String) -> Bool {
        skipSpaces()
        let t = Array(token.utf8)
        guard position + t.count <= bytes.count, Array(bytes[position..<(position + t.count)]) == t else { return false }
        position += t.count
        return true
    }

    /// Consumes `token` or fails.
    mutating func expect(_ token: String) throws {
        guard consume(token) else {
            throw ArchiveError.corrupt(".npy header: expected '\(token)' at byte \(position)")
        }
    }

    /// Checks that only spaces and the final newline remain.
    mutating func expectEnd() throws {
        skipSpaces()
        guard position == bytes.count - 1 else {
            throw ArchiveError.corrupt(".npy header: unexpected text after the dict at byte \(position)")
        }
    }

    /// A quoted string of printable ASCII without escapes (`'descr'` or `"descr"`).
    mutating func string() throws -> String {
        skipSpaces()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else {
            throw ArchiveError.corrupt(".npy header: expected a quoted string at byte \(position)")
        }
        let quote = bytes[position]
        var end = position + 1
        while end < bytes.count && bytes[end] != quote {
            guard bytes[end] >= 0x20 && bytes[end] < 0x7F && bytes[end] != UInt8(ascii: "\\") else {
                throw ArchiveError.corrupt(".npy header: unexpected byte \(bytes[end]) in a string")
            }
            end += 1
        }
        guard end < bytes.count else { throw ArchiveError.corrupt(".npy header: unterminated string") }
        let text = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        position = end + 1
        return text
    }

    /// `True` or `False`.
    mutating func boolean() throws -> Bool {
        if consume("True") { return true }
        if consume("False") { return false }
        throw ArchiveError.corrupt(".npy header: expected True or False at byte \(position)")
    }

    /// A tuple of non-negative integers: `()`, `(3,)`, `(2, 3)`, `(2, 3,)`.
    mutating func tuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = [], trailingComma = false
        while !consume(")") {
            values.append(try integer())
            guard values.count <= Shape.maxRank else {
                throw ArchiveError.unsupported("array of rank above \(Shape.maxRank)")
            }
            trailingComma = consume(",")
            if !trailingComma {
                try expect(")")
                break
            }
        }
        guard values.count != 1 || trailingComma else {
            throw ArchiveError.corrupt(".npy header: a one-dimensional shape needs a trailing comma")
        }
        return values
    }

    /// A non-negative decimal integer that fits in an Int.
    mutating func integer() throws -> Int {
        skipSpaces()
        var value = 0, digits = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw ArchiveError.corrupt(".npy header: dimension too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw ArchiveError.corrupt(".npy header: expected a dimension at byte \(position)") }
        return value
    }
}
