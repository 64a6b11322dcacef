import Foundation
import HDF5Kit
import Net

/// Reads frames of sequences out of one shard (docs/format.md §Shards), for the trainer.
///
/// Opening checks the shard's format attributes. `readFrames` copies frames
/// [start, start+count) of a sequence, `[count, 3, H, W]` lab8, into the caller's
/// buffer. Datasets are opened once and kept; `close()` releases everything.
/// All HDF5 calls go through HDF5Kit's process-wide lock, so readers on several
/// threads are safe (they take turns inside the library).
public final class ShardReader {
    public let path: String
    public let height: Int
    public let width: Int
    private let file: HDF5File
    private let sequencesGroup: HDF5Group
    private var datasets: [String: (dataset: HDF5Dataset, frames: Int)] = [:]
    private let lock = NSLock()

    public init(path: String) throws {
        self.path = path
        file = try HDF5File.open(path)
        do {
            let root = file.root
            let format = (try? root.stringAttribute("format")) ?? ""
            guard format == DataPrep.shardFormat else {
                throw PrepError("\(path): not a vcolor shard (format attribute '\(format)')")
            }
            let version = try root.intAttribute("version")
            guard version == DataPrep.shardVersion else { throw PrepError("\(path): shard version \(version) is not supported") }
            let encoding = try root.stringAttribute("encoding")
            guard encoding == DataPrep.encoding else { throw PrepError("\(path): encoding '\(encoding)' is not supported") }
            height = try root.intAttribute("height")
            width = try root.intAttribute("width")
            // Frames are height·width·3 bytes; a damaged attribute must not overflow that.
            guard (1...ModelConfig.maximumSize).contains(height), (1...ModelConfig.maximumSize).contains(width) else {
                throw PrepError("\(path): bad frame size \(height)×\(width)")
            }
            sequencesGroup = try root.openGroup("sequences")
        } catch {
            try? file.close()
            throw error
        }
    }

    deinit { close() }

    /// Ids of the sequences in this shard, in name order.
    public func sequenceIDs() throws -> [String] { try sequencesGroup.childNames() }

    private func dataset(_ id: String) throws -> (dataset: HDF5Dataset, frames: Int) {
        if let entry = datasets[id] { return entry }
        let dataset = try sequencesGroup.openDataset("\(id)/lab")
        // Type first: HDF5 would silently convert float32 or int16 to the uint8 we ask for.
        let type = try dataset.typeDescription()
        guard type == "uint8" else {
            dataset.close()
            throw PrepError("\(path): sequence \(id): lab is \(type), expected uint8 (lab8 encoding)")
        }
        let shape = try dataset.shape()
        guard shape.count == 4, shape[1] == 3, shape[2] == height, shape[3] == width else {
            dataset.close()
            throw PrepError("\(path): sequence \(id) has shape \(shape), expected [T, 3, \(height), \(width)]")
        }
        datasets[id] = (dataset, shape[0])
        return (dataset, shape[0])
    }

    /// Number of frames of a sequence.
    public func frameCount(_ id: String) throws -> Int {
        lock.lock(); defer { lock.unlock() }
        return try dataset(id).frames
    }

    /// A sequence's attributes (source, fps, first_frame and any others).
    public func attributes(_ id: String) throws -> [String: HDF5AttributeValue] {
        lock.lock(); defer { lock.unlock() }
        let d = try dataset(id).dataset
        var result: [String: HDF5AttributeValue] = [:]
        for name in try d.attributeNames() { result[name] = try d.attribute(name) }
        return result
    }

    /// Copies frames [start, start+count) of sequence `id` into `buffer`, which
    /// must hold exactly `count × 3 × height × width` bytes.
    public func readFrames(_ id: String, start: Int, count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) throws {
        lock.lock(); defer { lock.unlock() }
        let (dataset, frames) = try dataset(id)
        guard start >= 0, count > 0, start + count <= frames else {
            throw PrepError("\(path): frames [\(start), \(start + count)) are outside sequence \(id) (\(frames) frames)")
        }
        let frameSize = 3 * height * width
        guard buffer.count == count * frameSize else {
            throw PrepError("buffer holds \(buffer.count) bytes, \(count) frames need \(count * frameSize)")
        }
        try dataset.read(into: buffer, start: [start, 0, 0, 0], count: [count, 3, height, width])
    }

    public func close() {
        lock.lock(); defer { lock.unlock() }
        for entry in datasets.values { entry.dataset.close() }
        datasets.removeAll()
        try? file.close()
    }
}
