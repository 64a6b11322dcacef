/// Frames already deflate-compressed by a worker, one HDF5 chunk each, packed
/// into one byte array; the unit workers hand to the writer.
struct CompressedFrames {
    var bytes: [UInt8] = []
    /// End offset of each frame in `bytes`.
    var ends: [Int] = []

    var count: Int { ends.count }

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        bytes.append(contentsOf: chunk)
        ends.append(bytes.count)
    }

    mutating func append(contentsOf other: CompressedFrames, range: Range<Int>) {
        for i in range {
            let start = i == 0 ? 0 : other.ends[i - 1]
            append(other.bytes[start..<other.ends[i]])
        }
    }

    func frame(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
