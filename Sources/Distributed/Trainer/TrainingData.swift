import DataPrep
import Net
import Foundation

extension ShardReader: FrameSource {}

/// The data set as the trainer sees it: `index.json` read and checked, the
/// train and validation sequences in index order, the shards opened once.
public struct TrainingData {
    public let directory: String
    public let frameSize: Int
    public let train: [ClipSequence]
    public let validation: [ClipSequence]
    public let shards: ShardSet

    /// A hash of what is trained on: every sequence's id, frame count and
    /// split, in index order (FNV-1a, hex). Recorded in checkpoints; another
    /// data set under the same `--data` path has another fingerprint.
    public var fingerprint: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (split, list) in [("train", train), ("val", validation)] {
            for s in list {
                for byte in "\(split):\(s.id):\(s.frames)\n".utf8 {
                    h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
                }
            }
        }
        return String(h, radix: 16)
    }

    /// Loads the index, checks the frame size (square, a multiple of 128, and
    /// `expectedSize` when given) and opens every shard once so a missing or
    /// foreign shard fails before training starts.
    public static func load(_ directory: String, expectedSize: Int?) throws -> TrainingData {
        let index: DatasetIndex
        do { index = try DatasetIndex.load(directory) } catch {
            throw DataError(String(describing: error))
        }
        guard index.height == index.width else {
            throw DataError("\(directory): frames are \(index.width)×\(index.height); training needs square frames (prep with --size)")
        }
        let size = index.height
        do { try ModelConfig.checkFrameSize(size) } catch { throw DataError("\(directory): \(error)") }
        if let expectedSize, expectedSize != size {
            throw DataError("\(directory): frames are \(size)×\(size) but --size \(expectedSize) was given (omit --size to use the data's)")
        }
        func sequences(_ split: Split) -> [ClipSequence] {
            index.sequences(split).map(ClipSequence.init)
        }
        let train = sequences(.train), validation = sequences(.val)
        guard !train.isEmpty else { throw DataError("\(directory): the data set has no training sequences") }
        let shards = ShardSet(directory: directory) { path in try ShardReader(path: path) }
        for name in Set((train + validation).map(\.shard)).sorted() {
            let reader: FrameSource
            do { reader = try shards.source(name) } catch {
                throw DataError(String(describing: error))
            }
            guard let r = reader as? ShardReader else { continue }
            if r.height != size || r.width != size {
                throw DataError("\(r.path): frames are \(r.width)×\(r.height), index.json says \(size)×\(size)")
            }
            // The sampler lays out every clip of every sequence up front: a frame count
            // the shard does not back (an edited index) must fail here, not as a huge allocation.
            for sequence in train + validation where sequence.shard == name {
                let stored: Int
                do { stored = try r.frameCount(sequence.id) } catch { throw DataError(String(describing: error)) }
                guard stored == sequence.frames else {
                    throw DataError("\(r.path): sequence \(sequence.id) has \(stored) frames, index.json says \(sequence.frames)")
                }
            }
        }
        return TrainingData(directory: directory, frameSize: size, train: train, validation: validation, shards: shards)
    }
}
