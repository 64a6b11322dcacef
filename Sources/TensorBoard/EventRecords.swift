import Foundation

/// TFRecord framing, the container of TensorBoard's event files: each record
/// is its length (uint64, little-endian), the masked CRC-32C of those 8 bytes,
/// the data (one serialized `Event`), and the masked CRC-32C of the data.
enum EventRecords {
    static func frame(_ data: Data) -> Data {
        var length = UInt64(data.count).littleEndian
        let header = withUnsafeBytes(of: &length) { Data($0) }
        var out = Data(capacity: data.count + 16)
        out += header
        appendLittleEndian(CRC32C.masked(header), to: &out)
        out += data
        appendLittleEndian(CRC32C.masked(data), to: &out)
        return out
    }

    private static func appendLittleEndian(_ value: UInt32, to data: inout Data) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { data.append(contentsOf: $0) }
    }

    /// The records of `data` in order, every checksum verified. A record cut
    /// short at the end (a writer killed mid-write) ends the list with
    /// `truncated` true; a checksum that does not match is an error.
    static func records(in data: Data, file: String) throws -> (records: [Data], truncated: Bool) {
        var records: [Data] = []
        var offset = data.startIndex
        func uint32(_ at: Int) -> UInt32 {
            data[at..<(at + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
        }
        while offset < data.endIndex {
            guard data.endIndex - offset >= 12 else { return (records, true) }
            let header = data[offset..<(offset + 8)]
            guard uint32(offset + 8) == CRC32C.masked(header) else {
                throw TensorBoardError("\(file): the length of the record at byte \(offset - data.startIndex) fails its CRC-32C")
            }
            let length = header.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
            let start = offset + 12
            guard length <= UInt64(data.endIndex - start), data.endIndex - start - Int(length) >= 4 else { return (records, true) }
            let end = start + Int(length)
            let record = data[start..<end]
            guard uint32(end) == CRC32C.masked(record) else {
                throw TensorBoardError("\(file): the record at byte \(offset - data.startIndex) fails its CRC-32C")
            }
            records.append(Data(record))
            offset = end + 4
        }
        return (records, false)
    }
}

/// A TensorBoard file or directory that cannot be read or written, in one line.
public struct TensorBoardError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
