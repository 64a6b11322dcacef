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

    /// Every stored float of a run's checkpoint of `step`, by tensor group.
    func state(_ run: String, step: Int = 3, reproducible: Bool = true) throws -> [(String, [UInt32])] {
        let file = try ModelFile.open(CheckpointDirectory(run: path(run)).path(step: step))
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

    /// The tensor groups whose bits differ between two runs' checkpoints of `step`.
    func differences(_ a: String, _ b: String, step: Int = 3, reproducible: Bool = true) throws -> [String] {
        zip(try state(a, step: step, reproducible: reproducible), try state(b, step: step, reproducible: reproducible)).compactMap { x, y in
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

    /// Two shares (2 ranks × 1 = 1 × `--accumulate 2`, the ranks over shared
    /// memory and over TCP) and four (4 ranks × 1 = 2 ranks × 2 = 1 ×
    /// `--accumulate 4`; 4 ranks oversubscribe a 2-core machine, seconds at
    /// this size), three steps each, adversarial from the start so both
    /// networks and both phases count. Without `--reproducible` the same pair
    /// differs in its last bits, so the bitwise comparison can fail. `.ci/run`
    /// runs it again under OpenBLAS's Haswell kernels.
    func testTheSameSharesGroupedDifferentlyGiveTheSameBits() throws {
        let data = try standardData()
        let common = ["--data", data, "--steps", "3", "--nogan-steps", "0", "--threads", "1"]
        func run(_ name: String, ranks: Int, _ extra: [String], launcherOptions: [String] = []) throws {
            let r = try train(common + ["--run", path(name)] + extra, ranks: ranks, launcherOptions: launcherOptions)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        try run("ranks2", ranks: 2, ["--reproducible"])
        try run("ranks2-tcp", ranks: 2, ["--reproducible"], launcherOptions: ["--mca", "btl", "self,tcp"])
        try run("accumulate2", ranks: 1, ["--reproducible", "--accumulate", "2"])
        try run("ranks2x2", ranks: 2, ["--reproducible", "--accumulate", "2"])
        try run("accumulate4", ranks: 1, ["--reproducible", "--accumulate", "4"])
        try run("ranks4", ranks: 4, ["--reproducible"])
        XCTAssertEqual(try differences("ranks2", "accumulate2"), [])
        XCTAssertEqual(try differences("ranks2-tcp", "accumulate2"), [])
        XCTAssertEqual(try differences("ranks2x2", "accumulate4"), [])
        XCTAssertEqual(try differences("ranks4", "ranks2x2"), [])
        for (a, b) in [("ranks2", "accumulate2"), ("ranks2-tcp", "accumulate2"), ("ranks2x2", "accumulate4"), ("ranks4", "ranks2x2")] {
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

    /// A resume may regroup the global batch: 2 ranks × 1 for three steps,
    /// then 1 × `--accumulate 2` for three more (and 1 × 2 then 2 × 1) end on
    /// the bits of six steps on 2 ranks, across an epoch boundary (4 steps an
    /// epoch), with the same losses from the resume on. Without
    /// `--reproducible` the same regrouping is allowed with a warning, and its
    /// bits differ from the uninterrupted run's, so the comparison can fail.
    func testAResumeRegroupingTheGlobalBatchContinuesBitForBit() throws {
        let data = try standardData()
        let common = ["--data", data, "--nogan-steps", "0", "--threads", "1", "--checkpoint-every", "3"]
        @discardableResult
        func run(_ name: String, steps: Int, ranks: Int, _ extra: [String]) throws -> ProcessOutput {
            let r = try train(common + ["--run", path(name), "--steps", String(steps)] + extra, ranks: ranks)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        try run("straight", steps: 6, ranks: 2, ["--reproducible"])
        try run("down", steps: 3, ranks: 2, ["--reproducible"])
        let down = try run("down", steps: 6, ranks: 1, ["--reproducible", "--accumulate", "2", "--resume"])
        XCTAssertTrue(down.stderr.contains("was written by 2 rank(s) × 1 micro-batch(es), resuming with 1 × 2: the same 2 shares"
                                           + " of the global batch of 2 clips, regrouped; --reproducible continues it bit for bit"), down.stderr)
        XCTAssertFalse(down.stderr.contains("warning:"), down.stderr)
        try run("up", steps: 3, ranks: 1, ["--reproducible", "--accumulate", "2"])
        try run("up", steps: 6, ranks: 2, ["--reproducible", "--resume"])
        for resumed in ["down", "up"] {
            XCTAssertEqual(try differences("straight", resumed, step: 6), [], resumed)
            XCTAssertEqual(try losses(resumed).suffix(3), try losses("straight").suffix(3), resumed)
        }

        try run("default-straight", steps: 6, ranks: 2, [])
        try run("default-down", steps: 3, ranks: 2, [])
        let regrouped = try run("default-down", steps: 6, ranks: 1, ["--accumulate", "2", "--resume"])
        XCTAssertTrue(regrouped.stderr.contains("regrouped: the same clips and learning rate, but the gradient sums are rounded"
                                                + " differently from here on"), regrouped.stderr)
        XCTAssertNotEqual(try differences("default-straight", "default-down", step: 6, reproducible: false), [],
                          "without --reproducible the regrouped resume was expected to round differently")

        // Another global batch is still refused, naming the accumulate that would keep it.
        let other = try train(common + ["--run", path("down"), "--steps", "7", "--reproducible", "--accumulate", "4", "--resume"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("accumulate: 2 in the checkpoint, 4 now (on 1 rank(s) only --accumulate 2 keeps"
                                            + " the checkpoint's 2 shares, ranks × accumulate, of a step)"), other.stderr)
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
