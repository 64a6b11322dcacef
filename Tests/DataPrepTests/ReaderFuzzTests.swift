import Foundation
import Net
import TestFiles
import TestSupport
import XCTest
@testable import DataPrep

/// Seeded random corruptions of a data set's files: index.json in process,
/// shards through the real binary (`inspect --verify`), so a crash inside
/// libhdf5 shows up as a killed child, not a lost test run. Every outcome must
/// be a result or one clean error: exit status 0 or 1, never a signal.
/// (Checkpoints: ModelFilesTests/CheckpointFuzzTests; safetensors: SafeTensorsTests.)
final class ReaderFuzzTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func testCorruptIndexJSONLoadsOrThrows() throws {
        let data = path("data")
        try TinyDataSet.write(to: data, sequences: [.init(frames: 4, split: "train"), .init(frames: 5, split: "val")])
        let indexPath = (data as NSString).appendingPathComponent("index.json")
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: indexPath)))
        var rng = RandomGenerator(seed: 0x1DE7)
        var loaded = 0, rejected = 0
        for round in 0..<800 {
            var bytes = ByteMutations.mutate(good, &rng)
            // Some rounds change a number only, so the validator (not the JSON parser) is exercised.
            if round % 3 == 0 {
                bytes = good
                let digits = bytes.indices.filter { (48...57).contains(bytes[$0]) }
                for _ in 0..<2 { bytes[digits[Int(rng.next() % UInt64(digits.count))]] = UInt8(48 + rng.next() % 10) }
                if round % 6 == 0 {
                    bytes.insert(contentsOf: Array("999999999999999999".utf8), at: digits[Int(rng.next() % UInt64(digits.count))])
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: indexPath))
            do {
                let index = try DatasetIndex.load(data, requireComplete: false)
                loaded += 1
                _ = index.sequences.reduce(0) { $0 + $1.frames }
            } catch {
                rejected += 1
                XCTAssertFalse(String(describing: error).contains("\n"), "round \(round): \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, 100, "loaded \(loaded)")
        XCTAssertGreaterThan(loaded, 20, "rejected \(rejected)")
    }

    func testCorruptShardsAreResultsOrCleanErrors() throws {
        let data = path("data")
        try TinyDataSet.write(to: data, sequences: [.init(frames: 3, split: "train"), .init(frames: 2, split: "val")])
        let shard = (data as NSString).appendingPathComponent("shard-00000.h5")
        try assertDamagedCopiesEndCleanly(of: shard, at: shard, seed: 0x5A4D, vcolor: ["inspect", data, "--verify"])
    }
}
