import Foundation
import Net
import TestFiles
import TestSupport
import XCTest

/// Seeded random corruptions of a checkpoint, read through the real binary
/// (`convert`), so a crash inside libhdf5 shows up as a killed child, not a
/// lost test run. Every outcome must be a result or one clean error: exit
/// status 0 or 1, never a signal. (The safetensors fuzz loop lives in
/// SafeTensorsTests; index.json and shards in DataPrepTests/ReaderFuzzTests.)
final class CheckpointFuzzTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func testCorruptCheckpointsAreResultsOrCleanErrors() throws {
        let data = path("data")
        try TinyDataSet.write(to: data, sequences: [.init(frames: 2, split: "train")])
        let run = path("run")
        let trained = try runProcess(vcolorBinary(), ["train", "--data", data, "--run", run, "--base", "2", "--clip", "2",
                                                      "--batch", "1", "--steps", "1", "--log-level", "quiet"],
                                     environment: environmentWithoutMPI(), timeout: 60)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let checkpoint = (run as NSString).appendingPathComponent("checkpoints/step-00000001.h5")
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let damaged = path("damaged.h5")
        var rng = RandomGenerator(seed: 0xC4E7)
        var outcomes: [Int32: Int] = [:]
        for round in 0..<60 {
            let bytes = ByteMutations.mutate(good, &rng, hot: round % 2 == 0 ? 0..<4096 : nil)
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            let r = try runProcess(vcolorBinary(), ["convert", damaged, path("out.safetensors")],
                                   environment: environmentWithoutMPI(), timeout: 60)
            XCTAssertTrue(r.status == 0 || r.status == 1, "round \(round): status \(r.status): \(r.stderr.suffix(400))")
            outcomes[r.status, default: 0] += 1
        }
        XCTAssertGreaterThan(outcomes[1] ?? 0, 10, "\(outcomes)")
    }
}
