import Foundation
import HDF5Kit
import Net

/// A tiny data set written directly in the layout of docs/format.md §Shards (one shard and
/// index.json), so trainer tests need neither ffmpeg nor the prep pipeline.
/// Frames are pseudo-random lab8 bytes from the seed, shifted a pixel a frame.
public enum TinyDataSet {
    public struct Sequence {
        public var frames: Int
        public var split: String
        public init(frames: Int, split: String) { (self.frames, self.split) = (frames, split) }
    }

    /// The trainer tests' usual data set: four training sequences (8 clips of 2
    /// frames) and one validation sequence.
    public static let standard: [Sequence] = [.init(frames: 4, split: "train"), .init(frames: 5, split: "train"),
                                       .init(frames: 4, split: "train"), .init(frames: 4, split: "val"),
                                       .init(frames: 4, split: "train")]

    public static func write(to directory: String, size: Int = 128, sequences: [Sequence], seed: UInt64 = 7) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shardName = "shard-00000.h5"
        let shardPath = (directory as NSString).appendingPathComponent(shardName)
        let file = try HDF5File.create(shardPath)
        try file.root.setAttribute("format", "vcolor-shard")
        try file.root.setAttribute("version", 1)
        try file.root.setAttribute("height", size)
        try file.root.setAttribute("width", size)
        try file.root.setAttribute("encoding", "lab8")
        var rng = RandomGenerator(seed: seed)
        var entries: [[String: Any]] = []
        let frameBytes = 3 * size * size
        for (i, s) in sequences.enumerated() {
            let id = String(format: "%05d", i)
            var base = [UInt8](repeating: 0, count: frameBytes)
            for k in base.indices { base[k] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
            var values = [UInt8](repeating: 0, count: s.frames * frameBytes)
            for t in 0..<s.frames {
                for k in 0..<frameBytes {
                    let x = k % size
                    values[t * frameBytes + k] = base[k - x + (x + t) % size]
                }
            }
            let dataset = try file.root.createDataset("sequences/\(id)/lab", of: UInt8.self, shape: [s.frames, 3, size, size],
                                                      chunk: [1, 3, size, size], deflate: 1)
            try values.withUnsafeBufferPointer { try dataset.write($0) }
            try dataset.setAttribute("source", "tiny-\(i).mp4")
            try dataset.setAttribute("fps", 25.0)
            try dataset.setAttribute("first_frame", 0)
            dataset.close()
            entries.append(["id": id, "shard": shardName, "frames": s.frames, "source": "tiny-\(i).mp4",
                            "source_path": "/tiny-\(i).mp4", "fps": 25.0, "first_frame": 0, "split": s.split])
        }
        try file.close()
        let bytes = (try FileManager.default.attributesOfItem(atPath: shardPath)[.size] as? Int) ?? 0
        let index: [String: Any] = [
            "format": "vcolor-dataset", "version": 1, "complete": true, "height": size, "width": size,
            "encoding": "lab8", "seed": 1, "val_fraction": 0.2,
            "options": ["fit": "crop", "cut_threshold": 0.5, "min_frames": 2, "max_sequence_frames": 1000,
                        "deflate": 1, "shard_mb": 100],
            "inputs": [String](), "sources": [Any](), "skipped": [Any](),
            "shards": [["file": shardName, "bytes": bytes, "sequences": entries.map { $0["id"]! }]],
            "sequences": entries,
        ]
        let json = try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("index.json")))
    }
}
