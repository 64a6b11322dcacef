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

/// What a worker tells the writer.
enum WriterMessage {
    /// Frames of one sequence; `isFirst` opens it (creating its dataset),
    /// `isLast` closes it.
    case frames(SequenceMeta, CompressedFrames, isFirst: Bool, isLast: Bool)
    /// An input has been fully decoded; its sequences are all sent.
    case inputDone(InputReport)
    /// An input was skipped (bad file).
    case inputSkipped(ordinal: Int, SkippedInput)
    /// A worker stopped (strict mode or fatal error); sent once per worker at exit.
    case workerExit
}

/// A sequence's identity and the attributes stored with it.
struct SequenceMeta {
    var id: String
    var inputOrdinal: Int
    var source: String
    var sourcePath: String
    var fps: Double
    var firstFrame: Int
    var split: String
}

/// The outcome of one input, as the summary and the index report it.
struct InputReport {
    var ordinal: Int
    var source: DatasetIndex.Source
    /// Ids of every kept sequence of the input (including any stored by an earlier run).
    var sequenceIDs: [String]
}
