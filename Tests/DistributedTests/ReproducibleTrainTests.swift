import Foundation
import Net
import TestFiles
import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles

/// `vcolor train --reproducible`: the same global batch split as ranks ×
/// micro-batches in different ways gives the same bits, weights, running
/// statistics, Adam's moments and logged losses, after several steps.
final class ReproducibleTrainTests: TinyTrainTestCase {
    /// Four training sequences (8 clips of 2 frames): 2 steps an epoch at 4 shares.
    func standardData() throws -> String {
        let dir = path("data")
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard)
        return dir
    }

    /// Every stored float of a run's step-3 checkpoint, by tensor group.
    func state(_ run: String, reproducible: Bool = true) throws -> [(String, [UInt32])] {
        let file = try ModelFile.open(CheckpointDirectory(run: path(run)).path(step: 3))
        let config = try TrainingConfiguration.decode(try XCTUnwrap(file.storedConfiguration))
        XCTAssertEqual(config.reproducible, reproducible, run)
        var rng = RandomGenerator(seed: 99)
        let m = try Pix2PixTrainer(config: config.model, rng: &rng)
        try file.restore(ModelWeights(m), optimizers: Optimizers(m))
        func bits(_ b: UnsafeMutableBufferPointer<Float>) -> [UInt32] { b.map(\.bitPattern) }
        return [("G weights", bits(m.generator.parameters.values)), ("G running statistics", bits(m.generator.parameters.bufferValues)),
                ("G Adam m", bits(m.generatorOptimizer.m)), ("G Adam v", bits(m.generatorOptimizer.v)),
                ("D weights", bits(m.discriminator.parameters.values)), ("D running statistics", bits(m.discriminator.parameters.bufferValues)),
                ("D Adam m", bits(m.discriminatorOptimizer.m)), ("D Adam v", bits(m.discriminatorOptimizer.v))]
    }

    /// The tensor groups whose bits differ between two runs.
    func differences(_ a: String, _ b: String) throws -> [String] {
        zip(try state(a), try state(b)).compactMap { x, y in
            XCTAssertEqual(x.1.count, y.1.count, x.0)
            return x.1 == y.1 ? nil : x.0
        }
    }

    /// Every step's four logged losses.
    func losses(_ run: String) throws -> [[Double]] {
        let text = try String(contentsOfFile: (path(run) as NSString).appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["event"] as? String == "step" }.map { e in
            try ["loss_d", "loss_g", "loss_g_gan", "loss_g_l1"].map { try XCTUnwrap(e[$0] as? Double, $0) }
        }
    }

    /// Two shares (2 ranks × 1 = 1 × `--accumulate 2`) and four (2 ranks × 2 =
    /// 1 × `--accumulate 4`), three steps each, adversarial from the start so
    /// both networks and both phases count. Without `--reproducible` the same
    /// pair differs in its last bits, so the bitwise comparison can fail.
    func testTheSameSharesGroupedDifferentlyGiveTheSameBits() throws {
        let data = try standardData()
        let common = ["--data", data, "--steps", "3", "--nogan-steps", "0", "--threads", "1"]
        func run(_ name: String, ranks: Int, _ extra: [String]) throws {
            let r = try train(common + ["--run", path(name)] + extra, ranks: ranks)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        try run("ranks2", ranks: 2, ["--reproducible"])
        try run("accumulate2", ranks: 1, ["--reproducible", "--accumulate", "2"])
        try run("ranks2x2", ranks: 2, ["--reproducible", "--accumulate", "2"])
        try run("accumulate4", ranks: 1, ["--reproducible", "--accumulate", "4"])
        XCTAssertEqual(try differences("ranks2", "accumulate2"), [])
        XCTAssertEqual(try differences("ranks2x2", "accumulate4"), [])
        for (a, b) in [("ranks2", "accumulate2"), ("ranks2x2", "accumulate4")] {
            let x = try losses(a), y = try losses(b)
            XCTAssertEqual(x.count, 3)
            XCTAssertEqual(x, y, "\(a) and \(b) logged other losses")
        }
        XCTAssertNotEqual(try losses("ranks2"), try losses("ranks2x2"), "two shares and four are different batches")

        // The default path: the same clips, rounded differently.
        try run("default-ranks2", ranks: 2, [])
        try run("default-accumulate2", ranks: 1, ["--accumulate", "2"])
        let plain = { (name: String) in try self.state(name, reproducible: false) }
        XCTAssertNotEqual(try plain("default-ranks2").map(\.1), try plain("default-accumulate2").map(\.1),
                          "the default path was expected to round differently from --reproducible's reduction")
    }

    /// `--reproducible` is part of the run: a resume without it is refused in
    /// one line; and the combinations it cannot honour are refused up front.
    func testReproducibleIsCheckedOnResumeAndRefusesSyncBN() throws {
        let data = try standardData()
        let run = path("run")
        let first = try train(["--data", data, "--run", run, "--steps", "1", "--reproducible"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let resumed = try train(["--data", data, "--run", run, "--steps", "2", "--resume"])
        XCTAssertNotEqual(resumed.status, 0)
        XCTAssertEqual(resumed.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("reproducible: 1 in the checkpoint, 0 now"), resumed.stderr)
        for (flags, why) in [(["--sync-bn"], "--sync-bn"), (["--allreduce-precision", "bf16"], "--allreduce-precision bf16")] {
            let refused = try train(["--data", data, "--run", path("refused"), "--steps", "1", "--reproducible"] + flags)
            XCTAssertNotEqual(refused.status, 0)
            XCTAssertTrue(refused.stderr.contains("--reproducible cannot be combined with \(why)"), refused.stderr)
        }
    }
}
