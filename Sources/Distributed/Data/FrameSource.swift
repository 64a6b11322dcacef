import DataPrep
import Foundation

/// Where the frames of sequences come from: a shard file (DataPrep's
/// `ShardReader`), or memory in tests.
public protocol FrameSource: AnyObject {
    /// Copies frames [start, start+count) of sequence `id`, `[count, 3, H, W]`
    /// lab8, into `buffer` (exactly that many bytes).
    func readFrames(_ id: String, start: Int, count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) throws
}

/// One sequence as training sees it (the sampler plans clips from its id and
/// length, the loader reads them from its shard): the part of the index's
/// `DatasetIndex.Sequence` the trainer needs, under one name.
public struct ClipSequence: Hashable, Sendable {
    public var id: String
    public var shard: String
    public var frames: Int

    public init(_ sequence: DatasetIndex.Sequence) {
        self.init(id: sequence.id, shard: sequence.shard, frames: sequence.frames)
    }

    public init(id: String, shard: String, frames: Int) {
        self.id = id
        self.shard = shard
        self.frames = frames
    }
}

/// The open shards of a data set: each file is opened once, on first use,
/// and shared by every loader (training and validation), so one process never
/// holds two HDF5 handles of the same file.
public final class ShardSet: @unchecked Sendable {
    private let directory: String
    private let opener: (String) throws -> FrameSource
    private var open: [String: FrameSource] = [:]
    private let lock = NSLock()

    /// - Parameter opener: opens the shard at a full path.
    public init(directory: String, opener: @escaping (String) throws -> FrameSource) {
        self.directory = directory
        self.opener = opener
    }

    /// The reader of `shard` (a file name inside the data set directory).
    public func source(_ shard: String) throws -> FrameSource {
        lock.lock()
        defer { lock.unlock() }
        if let s = open[shard] { return s }
        let s = try opener((directory as NSString).appendingPathComponent(shard))
        open[shard] = s
        return s
    }
}
