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

/// A sequence as a worker starts it: the input it comes from, and its index
/// record (id, source, fps, first frame, split, label) for the writer to store
/// and to complete with the shard and frame count when the sequence ends.
struct SequenceMeta {
    var inputOrdinal: Int
    /// `shard` empty and `frames` 0 until the writer ends the sequence.
    var record: DatasetIndex.Sequence
    var id: String { record.id }
}

/// The outcome of one input, as the summary and the index report it.
struct InputReport {
    var ordinal: Int
    var source: DatasetIndex.Source
    /// Ids of every kept sequence of the input (including any stored by an earlier run).
    var sequenceIDs: [String]
}
