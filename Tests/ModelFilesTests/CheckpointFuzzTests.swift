import Foundation
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
        let damaged = path("damaged.h5")
        try assertDamagedCopiesEndCleanly(of: checkpoint, at: damaged, seed: 0xC4E7,
                                          vcolor: ["convert", damaged, path("out.safetensors")])
    }
}
