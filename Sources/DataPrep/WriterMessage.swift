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
    var label: String?
}

/// The outcome of one input, as the summary and the index report it.
struct InputReport {
    var ordinal: Int
    var source: DatasetIndex.Source
    /// Ids of every kept sequence of the input (including any stored by an earlier run).
    var sequenceIDs: [String]
}
