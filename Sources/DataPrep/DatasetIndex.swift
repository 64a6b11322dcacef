import Foundation
import Storage

/// `index.json` of a data set (docs/format.md §Dataset index): every shard, sequence and source, and the
/// train/validation split. Written by `vcolor prep` after every finished shard
/// (with `complete: false` until the end, which is what makes resuming possible);
/// read by the trainer with `DatasetIndex.load`.
public struct DatasetIndex: Codable, Equatable {
    public struct Shard: Codable, Equatable {
        public var file: String
        public var bytes: Int
        public var sequences: [String]
    }

    public struct Sequence: Codable, Equatable {
        public var id: String
        public var shard: String
        public var frames: Int
        /// The input's file (or directory) name.
        public var source: String
        /// The input's absolute path.
        public var sourcePath: String
        public var fps: Double
        /// Index of the sequence's first frame in its source.
        public var firstFrame: Int
        /// "train" or "val".
        public var split: String
        /// Its input's `--label`, if any.
        public var label: String? = nil

        enum CodingKeys: String, CodingKey {
            case id, shard, frames, source, fps, split, label
            case sourcePath = "source_path", firstFrame = "first_frame"
        }
    }

    public struct Source: Codable, Equatable {
        public var path: String
        public var name: String
        public var kind: String
        public var split: String
        /// Sequences kept.
        public var sequences: Int
        /// Frames decoded from the input.
        public var frames: Int
        /// Frames stored (decoded frames minus those of dropped short sequences).
        public var framesKept: Int
        public var cuts: Int
        /// Sequences shorter than the minimum, dropped.
        public var droppedShort: Int
        /// A warning about the input (e.g. it is truncated), if any.
        public var warning: String?
        /// What the input holds, from `--label NAME=PATH` (e.g. real, photo-pan); absent when no label names it.
        public var label: String? = nil

        enum CodingKeys: String, CodingKey {
            case path, name, kind, split, sequences, frames, cuts, warning, label
            case framesKept = "frames_kept", droppedShort = "dropped_short"
        }
    }

    /// The prep options that shape the data; resuming requires the same ones.
    public struct Options: Codable, Equatable {
        public var fit: String
        public var cutThreshold: Double
        public var minFrames: Int
        public var maxSequenceFrames: Int
        public var deflate: Int
        public var shardMB: Double
        /// `--clips-per-still` and `--still-frames`; absent without stills.
        public var clipsPerStill: Int? = nil
        public var stillFrames: Int? = nil

        enum CodingKeys: String, CodingKey {
            case fit, deflate
            case cutThreshold = "cut_threshold", minFrames = "min_frames"
            case maxSequenceFrames = "max_sequence_frames", shardMB = "shard_mb"
            case clipsPerStill = "clips_per_still", stillFrames = "still_frames"
        }
    }

    public var format = DataPrep.datasetFormat
    public var version = DataPrep.datasetVersion
    /// False while prep is running or after it was interrupted.
    public var complete: Bool
    public var height: Int
    public var width: Int
    public var encoding = DataPrep.encoding
    public var seed: UInt64
    public var valFraction: Double
    public var options: Options
    /// Absolute paths of every usable input of the run (the split is drawn over them).
    public var inputs: [String]
    public var shards: [Shard] = []
    public var sequences: [Sequence] = []
    public var sources: [Source] = []
    public var skipped: [SkippedInput] = []

    enum CodingKeys: String, CodingKey {
        case format, version, complete, height, width, encoding, seed, options, inputs
        case shards, sequences, sources, skipped
        case valFraction = "val_fraction"
    }

    // MARK: reading

    /// Loads and validates `DIR/index.json` (or an index file given directly).
    /// Every problem is one clear error naming the file.
    public static func load(_ path: String, requireComplete: Bool = true, checkShardFiles: Bool = true) throws -> DatasetIndex {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PrepError("\(path): no such data set")
        }
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent(DataPrep.indexFileName) : path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PrepError("\(file): cannot read (is this a data set made by vcolor prep?)")
        }
        let index: DatasetIndex
        do {
            index = try JSONDecoder().decode(DatasetIndex.self, from: data)
        } catch let error as DecodingError {
            throw PrepError("\(file): not a vcolor data set index (\(describe(error)))")
        }
        try index.validate(file: file, requireComplete: requireComplete, checkShardFiles: checkShardFiles)
        return index
    }

    /// Checks internal consistency; `file` names the index in errors.
    public func validate(file: String, requireComplete: Bool = true, checkShardFiles: Bool = true) throws {
        func fail(_ message: String) -> PrepError { PrepError("\(file): \(message)") }
        guard format == DataPrep.datasetFormat else { throw fail("format is '\(format)', expected '\(DataPrep.datasetFormat)'") }
        guard version == DataPrep.datasetVersion else { throw fail("version \(version) is not supported (expected \(DataPrep.datasetVersion))") }
        guard encoding == DataPrep.encoding else { throw fail("encoding '\(encoding)' is not supported") }
        guard height > 0, width > 0 else { throw fail("bad frame size \(height)×\(width)") }
        if requireComplete && !complete {
            throw fail("the data set is incomplete (prep was interrupted); run the same vcolor prep command again to finish it")
        }
        let shardNames = Set(shards.map(\.file))
        guard shardNames.count == shards.count else { throw fail("a shard is listed twice") }
        // Summaries (inspect, prep) add these up; a hand-edited index must not overflow them.
        var totalBytes = 0, totalFrames = 0, overflow = false
        for shard in shards {
            guard shard.bytes >= 0 else { throw fail("shard \(shard.file) has \(shard.bytes) bytes") }
            (totalBytes, overflow) = totalBytes.addingReportingOverflow(shard.bytes)
            if overflow { throw fail("shard sizes add up to more than \(Int.max) bytes") }
        }
        var ids = Set<String>()
        for sequence in sequences {
            guard ids.insert(sequence.id).inserted else { throw fail("sequence \(sequence.id) is listed twice") }
            guard shardNames.contains(sequence.shard) else { throw fail("sequence \(sequence.id) is in unlisted shard \(sequence.shard)") }
            guard sequence.frames > 0 else { throw fail("sequence \(sequence.id) has no frames") }
            (totalFrames, overflow) = totalFrames.addingReportingOverflow(sequence.frames)
            if overflow { throw fail("sequence lengths add up to more than \(Int.max) frames") }
            guard Split(rawValue: sequence.split) != nil else { throw fail("sequence \(sequence.id) has split '\(sequence.split)'") }
        }
        for shard in shards {
            for id in shard.sequences where !ids.contains(id) {
                throw fail("shard \(shard.file) lists unknown sequence \(id)")
            }
        }
        if checkShardFiles {
            let directory = (file as NSString).deletingLastPathComponent
            for shard in shards where !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(shard.file)) {
                throw fail("shard \(shard.file) is missing")
            }
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        @unknown default:
            return "undecodable"
        }
    }

    // MARK: queries

    public func sequences(split: String) -> [Sequence] { sequences.filter { $0.split == split } }

    /// The sequences of one part of the data set.
    public func sequences(_ split: Split) -> [Sequence] { sequences(split: split.rawValue) }

    /// Path of a shard file of the data set in `directory`.
    public static func shardPath(_ directory: String, _ file: String) -> String {
        (directory as NSString).appendingPathComponent(file)
    }

    // MARK: writing

    /// Writes atomically and durably (`AtomicFile`), pretty and key-sorted.
    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let path = (directory as NSString).appendingPathComponent(DataPrep.indexFileName)
        do {
            try AtomicFile.write(data, to: path)
        } catch let error as StorageError {
            throw PrepError(error.description)
        }
    }
}
