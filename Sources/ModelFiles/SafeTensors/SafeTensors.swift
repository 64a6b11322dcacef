#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Storage

/// A safetensors file: read whole, validated up front, float32 tensors by name.
///
/// The format (the one `safetensors.torch.save_file` writes): an 8-byte
/// little-endian header length `N`, `N` bytes of JSON mapping each tensor name
/// to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the
/// byte after the header) plus an optional `__metadata__` string map, then the
/// raw little-endian data. The data must be covered exactly, without holes or
/// overlaps, as the format requires.
///
/// Loading checks every length, offset and shape product against the header
/// and the file before any tensor is touched, so a corrupt or hostile file
/// becomes a `SafeTensorsError` with a one-line reason, never a trap. We use it
/// for golden fixtures written by PyTorch and for `vcolor convert`.
public struct SafeTensors {
    /// One tensor's header entry. `byteRange` is relative to the data section.
    public struct TensorInfo: Equatable {
        public let dtype: String
        public let shape: [Int]
        public let count: Int
        public let byteRange: Range<Int>
    }

    /// The `__metadata__` map (empty when the file has none).
    public private(set) var metadata: [String: String]
    /// Tensor names in the order of their data in the file.
    public private(set) var names: [String]
    /// Where the bytes came from (a path, or "<memory>"); used in error messages.
    public let source: String

    private let infos: [String: TensorInfo]
    private let storage: [UInt8]
    private let dataStart: Int

    /// Headers larger than this are refused (the reference implementation's limit):
    /// a corrupt length field must not make us allocate or scan gigabytes.
    public static let maxHeaderLength = 100_000_000

    /// Bytes per element of every dtype the format defines. Tensors of any of
    /// these load (their sizes can be validated); only F32 can be read as floats.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
        "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
        "U32": 4, "I32": 4, "F32": 4,
        "U64": 8, "I64": 8, "F64": 8,
    ]

    // MARK: Reading

    /// Reads and validates the file at `url`.
    public static func load(contentsOf url: URL) throws -> SafeTensors {
        let path = url.path
        return try SafeTensors(bytes: try readFile(path), source: path)
    }

    /// Parses and validates a whole file held in memory.
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        func bad(_ reason: String) -> SafeTensorsError { .malformed(source: source, reason: reason) }

        guard bytes.count >= 8 else {
            throw bad("file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(SafeTensors.maxHeaderLength) else {
            throw bad("header length \(length) exceeds the limit of \(SafeTensors.maxHeaderLength) bytes")
        }
        let headerLength = Int(length)
        guard headerLength <= bytes.count - 8 else {
            throw bad("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes; truncated?)")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw bad("header does not start with '{'")
        }
        let json: HeaderJSON
        do {
            json = try bytes.withUnsafeBufferPointer {
                try HeaderJSON.parse(UnsafeBufferPointer(rebasing: $0[8..<(8 + headerLength)]))
            }
        } catch let error as HeaderJSON.ParseError {
            throw bad("header JSON: \(error.message)")
        }
        guard case let .object(members) = json else { throw bad("header is not a JSON object") }

        let dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var infos: [String: TensorInfo] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(entries) = value else { throw bad("__metadata__ is not an object") }
                for (key, v) in entries {
                    guard case let .string(s) = v else { throw bad("__metadata__ value for '\(key)' is not a string") }
                    metadata[key] = s
                }
                continue
            }
            infos[name] = try SafeTensors.tensorInfo(name: name, value, dataSize: dataSize, bad: bad)
        }

        // The data section must be tiled exactly: sorted by offset, each tensor
        // starts where the previous one ended, and the last ends at the file's end.
        let ordered = infos.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound, $0.key)
                < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound, $1.key)
        }
        var cursor = 0
        for (name, info) in ordered {
            if info.byteRange.lowerBound < cursor {
                throw bad("tensor '\(name)' bytes \(info.byteRange) overlap the previous tensor (ending at \(cursor))")
            }
            if info.byteRange.lowerBound > cursor {
                throw bad("data bytes \(cursor)..<\(info.byteRange.lowerBound) belong to no tensor")
            }
            cursor = info.byteRange.upperBound
        }
        if cursor != dataSize {
            throw bad("data section is \(dataSize) bytes but the tensors cover \(cursor)")
        }

        self.metadata = metadata
        self.names = ordered.map(\.key)
        self.source = source
        self.infos = infos
        self.storage = bytes
        self.dataStart = dataStart
    }

    /// Validates one header entry: known dtype, non-negative shape whose byte
    /// size (without overflow) equals its offset range, which lies inside the data.
    private static func tensorInfo(name: String, _ value: HeaderJSON, dataSize: Int,
                                   bad: (String) -> SafeTensorsError) throws -> TensorInfo {
        guard case let .object(fields) = value else { throw bad("entry '\(name)' is not an object") }
        var dtype: String?
        var shape: [Int]?
        var offsets: [Int]?
        func integers(_ v: HeaderJSON, _ field: String) throws -> [Int] {
            guard case let .array(elements) = v else { throw bad("'\(name)'.\(field) is not an array") }
            return try elements.map {
                guard case let .integer(i) = $0, i >= 0 else {
                    throw bad("'\(name)'.\(field) holds something other than a non-negative integer")
                }
                return i
            }
        }
        for (key, v) in fields {
            switch key {
            case "dtype":
                guard case let .string(s) = v else { throw bad("'\(name)'.dtype is not a string") }
                dtype = s
            case "shape": shape = try integers(v, key)
            case "data_offsets": offsets = try integers(v, key)
            default: throw bad("entry '\(name)' has an unknown field '\(key)'")
            }
        }
        guard let dtype, let shape, let offsets else {
            throw bad("entry '\(name)' needs dtype, shape and data_offsets")
        }
        guard let elementSize = dtypeSizes[dtype] else { throw bad("tensor '\(name)' has unknown dtype '\(dtype)'") }
        guard offsets.count == 2 else { throw bad("'\(name)'.data_offsets must hold two integers") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw bad("tensor '\(name)' has data_offsets [\(begin), \(end)] with begin > end") }
        guard end <= dataSize else {
            throw bad("tensor '\(name)' ends at data byte \(end), past the data section's \(dataSize) bytes (truncated?)")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("tensor '\(name)' shape \(shape) overflows") }
            count = p
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, byteCount == end - begin else {
            throw bad("tensor '\(name)' shape \(shape) of \(dtype) needs \(overflow ? "too many" : String(byteCount)) bytes but data_offsets give \(end - begin)")
        }
        return TensorInfo(dtype: dtype, shape: shape, count: count, byteRange: begin..<end)
    }

    /// The header entry for `name`, or nil.
    public func info(_ name: String) -> TensorInfo? { infos[name] }

    /// The PyTorch shape of `name`, or nil when there is no such tensor.
    public func shape(_ name: String) -> [Int]? { infos[name]?.shape }

    /// The values of an F32 tensor (allocates; use `copy` for large tensors).
    public func floats(_ name: String) throws -> [Float] {
        let info = try float32Info(name)
        if info.count == 0 { return [] }
        return try [Float](unsafeUninitializedCapacity: info.count) { buffer, initialized in
            try copy(name, into: buffer.baseAddress!, count: info.count)
            initialized = info.count
        }
    }

    /// Copies an F32 tensor into `destination`, which holds exactly `count` floats.
    public func copy(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let info = try float32Info(name)
        guard count == info.count else {
            throw SafeTensorsError.countMismatch(source: source, name: name, expected: info.count, actual: count)
        }
        guard count > 0 else { return }
        storage.withUnsafeBytes { raw in
            let from = raw.baseAddress! + dataStart + info.byteRange.lowerBound
            UnsafeMutableRawPointer(destination).copyMemory(from: from, byteCount: info.byteRange.count)
        }
        #if _endian(big)
        for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern)) }
        #endif
    }

    private func float32Info(_ name: String) throws -> TensorInfo {
        guard let info = infos[name] else { throw SafeTensorsError.missingTensor(source: source, name: name) }
        guard info.dtype == "F32" else {
            throw SafeTensorsError.unsupportedDType(source: source, name: name, dtype: info.dtype)
        }
        return info
    }

    // MARK: Writing

    public typealias Entry = (name: String, shape: [Int], values: UnsafeBufferPointer<Float>)

    /// The whole file as bytes: F32 tensors in the given order, metadata keys sorted.
    public static func encode(_ tensors: [Entry], metadata: [String: String] = [:]) throws -> [UInt8] {
        var out = try header(tensors, metadata: metadata)
        for t in tensors { appendLittleEndian(t.values, to: &out) }
        return out
    }

    /// Writes `tensors` (F32, in the given order) and `metadata` to `url`
    /// atomically: a temporary file in the same directory, fsync, rename, and an
    /// fsync of the directory, so a crash leaves the old file or the new one.
    public static func write(_ tensors: [Entry], metadata: [String: String] = [:], to url: URL) throws {
        let head = try header(tensors, metadata: metadata)
        do {
            try AtomicFile.write(to: url.path) { file in
                try head.withUnsafeBytes { try file.write($0) }
                for t in tensors {
                    #if _endian(big)
                    var swapped: [UInt8] = []
                    appendLittleEndian(t.values, to: &swapped)
                    try swapped.withUnsafeBytes { try file.write($0) }
                    #else
                    try file.write(UnsafeRawBufferPointer(t.values))
                    #endif
                }
            }
        } catch let error as StorageError {
            throw SafeTensorsError.io(path: error.path, reason: error.reason)
        }
    }

    /// The length field plus the JSON header, padded with spaces so the data
    /// starts at a multiple of 8 bytes (aligned for any dtype).
    static func header(_ tensors: [Entry], metadata: [String: String]) throws -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0]!))" }.joined(separator: ",")
            json += "}"
            first = false
        }
        var seen = Set<String>()
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__" else { throw SafeTensorsError.invalidArgument("'__metadata__' is reserved") }
            guard seen.insert(t.name).inserted else {
                throw SafeTensorsError.invalidArgument("duplicate tensor name '\(t.name)'")
            }
            var count = 1
            for d in t.shape {
                guard d >= 0 else { throw SafeTensorsError.invalidArgument("tensor '\(t.name)' has negative dimension in \(t.shape)") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw SafeTensorsError.invalidArgument("tensor '\(t.name)' shape \(t.shape) overflows") }
                count = p
            }
            guard count == t.values.count else {
                throw SafeTensorsError.invalidArgument("tensor '\(t.name)' shape \(t.shape) holds \(count) elements but \(t.values.count) values were given")
            }
            let end = offset + 4 * count
            json += first ? "" : ","
            first = false
            json += "\(quoted(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var body = Array(json.utf8)
        while (8 + body.count) % 8 != 0 { body.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + body.count + offset)
        let n = UInt64(body.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out.append(contentsOf: body)
        return out
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        let escaped = s.escapingScalars { u in
            switch u {
            case "\"": "\\\""
            case "\\": "\\\\"
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case _ where u.value < 0x20: String(format: "\\u%04x", u.value)
            default: nil
            }
        }
        return "\"" + escaped + "\""
    }

    private static func appendLittleEndian(_ values: UnsafeBufferPointer<Float>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + 4 * values.count)
        for v in values {
            let bits = v.bitPattern
            out.append(UInt8(truncatingIfNeeded: bits))
            out.append(UInt8(truncatingIfNeeded: bits >> 8))
            out.append(UInt8(truncatingIfNeeded: bits >> 16))
            out.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
    }

    // MARK: Reading (errno-bearing messages, EINTR and short reads handled)

    private static func errnoText() -> String { SystemError.words(errno) }

    private static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(path: path, reason: "cannot open: \(errnoText())") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SafeTensorsError.io(path: path, reason: "cannot stat: \(errnoText())") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.io(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        var failure: SafeTensorsError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(path: path, reason: "read failed: \(errnoText())")
                    break
                }
                if n == 0 {
                    failure = .io(path: path, reason: "file shrank while being read")
                    break
                }
                done += n
            }
            initialized = done
        }
        if let failure { throw failure }
        return bytes
    }
}
