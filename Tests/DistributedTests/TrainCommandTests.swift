import Console
import Foundation
import Net
import TestFiles
import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles
@testable import Imaging

/// `vcolor train` end to end: the built binary, alone and under
/// `mpirun -np 2`, on a tiny model (base width 2, 128², one clip of two
/// frames per rank) so every run takes about a second.
final class TrainCommandTests: XCTestCase {
    var root: String!
    let tiny = ["--base", "2", "--clip", "2", "--log-level", "info"]

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    /// Four training sequences (8 clips of 2 frames), one validation sequence.
    func standardData() throws -> String {
        let dir = path("data")
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard)
        return dir
    }

    func train(_ args: [String], ranks: Int = 1, timeout: TimeInterval = 60) throws -> ProcessOutput {
        try runTrain(tiny + args, ranks: ranks, timeout: timeout)
    }

    func checksums(_ output: ProcessOutput) throws -> [String] { try printedChecksums(output) }

    func model(from checkpoint: String) throws -> Pix2PixTrainer {
        let file = try ModelFile.open(checkpoint)
        let config = try TrainingConfiguration.decode(try XCTUnwrap(file.storedConfiguration))
        var rng = RandomGenerator(seed: 99)
        let m = try Pix2PixTrainer(config: config.model, rng: &rng)
        try file.restore(ModelWeights(m), optimizers: Optimizers(m))
        return m
    }

    /// The training state of a run's checkpoint.
    func state(_ checkpoint: String) throws -> TrainingState { try XCTUnwrap(ModelFile.open(checkpoint).training) }

    // MARK: -

    func testOneProcessWithoutMPIRunTrainsAndCheckpoints() throws {
        let data = try standardData()
        let run = path("run")
        let result = try train(["--data", data, "--run", run, "--steps", "3", "--batch", "1", "--checkpoint-every", "2",
                                "--sample-every", "3", "--print-checksum"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let dir = CheckpointDirectory(run: run)
        XCTAssertEqual(dir.checkpoints().map(\.step), [2, 3])
        let state = try self.state(dir.path(step: 3))
        XCTAssertEqual(state.step, 3)
        XCTAssertEqual(state.worldSize, 1)
        XCTAssertEqual(state.generatorAdamSteps, 3)
        XCTAssertEqual(state.discriminatorAdamSteps, 3)
        XCTAssertEqual(state.cursor, SamplerCursor(epoch: 0, stepInEpoch: 3))
        let config = try TrainingConfiguration.decode(try XCTUnwrap(ModelFile.open(dir.path(step: 3)).storedConfiguration))
        XCTAssertEqual(config.model.baseWidth, 2)
        XCTAssertEqual(config.model.size, 128)
        XCTAssertEqual(config.batch, 1)
        // The checkpoint holds exactly the process's final replica.
        XCTAssertEqual(try checksums(result), [Trainer.checksum(try model(from: dir.path(step: 3)))])

        let metrics = try String(contentsOfFile: (run as NSString).appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let events = metrics.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let steps = events.filter { $0["event"] as? String == "step" }
        XCTAssertEqual(steps.compactMap { $0["step"] as? Int }, [1, 2, 3])
        for s in steps { XCTAssertTrue((s["loss_g"] as? Double)?.isFinite ?? false, "\(s)") }
        XCTAssertEqual(events.filter { $0["event"] as? String == "validation" }.count, 1, metrics)
        XCTAssertTrue(result.stderr.contains("step 3/3"), result.stderr)
        XCTAssertTrue(result.stderr.contains("PSNR"), result.stderr)

        // The sample strip is a PNG of 3 columns × 2 frames of 128².
        let png = try Data(contentsOf: URL(fileURLWithPath: (run as NSString).appendingPathComponent("samples/step-00000003.png")))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 1, 128, 0, 0, 1, 0])
    }

    func testTwoRanksEndWithIdenticalReplicas() throws {
        let data = try standardData()
        let run = path("run")
        // Small buckets: G's gradients are averaged in ~17 pieces started during its backward.
        let result = try train(["--data", data, "--run", run, "--steps", "3", "--batch", "1", "--print-checksum",
                                "--bucket-mb", "0.01", "--sample-every", "2"], ranks: 2)
        XCTAssertEqual(result.status, 0, result.stderr)
        let sums = try checksums(result)
        XCTAssertEqual(sums.count, 2)
        XCTAssertEqual(sums[0], sums[1], "replicas diverged")
        let checkpoint = CheckpointDirectory(run: run).path(step: 3)
        XCTAssertEqual(sums[0], Trainer.checksum(try model(from: checkpoint)))
        XCTAssertEqual(try state(checkpoint).worldSize, 2)
        XCTAssertTrue(result.stderr.contains("2 rank(s)"), result.stderr)

        XCTAssertTrue(FileManager.default.fileExists(atPath: (run as NSString).appendingPathComponent("samples/step-00000002.png")))

        // Per-rank compute times, for finding a slow rank: one positive figure per rank.
        let metrics = try String(contentsOfFile: (run as NSString).appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let steps = metrics.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["event"] as? String == "step" }
        XCTAssertEqual(steps.count, 3)
        for s in steps {
            let times = try XCTUnwrap(s["rank_compute_s"] as? [Double], "\(s)")
            XCTAssertEqual(times.count, 2)
            XCTAssertTrue(times.allSatisfy { $0 > 0 }, "\(times)")
            XCTAssertEqual(s["slowest_rank"] as? Int, times[0] >= times[1] ? 0 : 1)
        }
        XCTAssertTrue(result.stderr.contains("slowest rank"), result.stderr)

        // One blocking all-reduce after backward computes the same average
        // (a sum of two floats does not depend on how it is cut), and writing
        // samples (rank 0 alone, running statistics) leaves training untouched.
        let blocking = try train(["--data", data, "--run", path("blocking"), "--steps", "3", "--batch", "1",
                                  "--print-checksum", "--bucket-mb", "0", "--log-level", "quiet"], ranks: 2)
        XCTAssertEqual(blocking.status, 0, blocking.stderr)
        XCTAssertEqual(try checksums(blocking), sums)
    }

    /// The events of a run's metrics.jsonl.
    func events(_ run: String, _ kind: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: (path(run) as NSString).appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["event"] as? String == kind }
    }

    /// The largest per-tensor error `max |a − b| / max |b|` over every
    /// trainable tensor of both networks, comparing Adam's first moment: after
    /// one step it is (1 − β₁)·g, so this compares the averaged gradients
    /// themselves (Adam's normalised step would hide a gradient off by a factor).
    func gradientDifference(_ a: Pix2PixTrainer, _ b: Pix2PixTrainer) -> (Double, String) {
        var worst = 0.0, worstName = ""
        for (x, y, xm, ym) in [(a.generator.parameters, b.generator.parameters, a.generatorOptimizer.m, b.generatorOptimizer.m),
                               (a.discriminator.parameters, b.discriminator.parameters,
                                a.discriminatorOptimizer.m, b.discriminatorOptimizer.m)] {
            for (p, q) in zip(x.trainable, y.trainable) {
                let start = p.value - x.values.baseAddress!
                XCTAssertEqual(q.value - y.values.baseAddress!, start)
                var scale = 0.0, error = 0.0
                for i in start..<(start + p.count) {
                    scale = max(scale, abs(Double(ym[i])))
                    error = max(error, abs(Double(xm[i]) - Double(ym[i])))
                }
                let relative = error / max(scale, 1e-30)
                if !(relative <= worst) { worst = relative; worstName = p.name }
            }
        }
        return (worst, worstName)
    }

    /// `ranks` sequences of exactly one clip each plus three validation
    /// sequences. One rank with B = ranks and `ranks` ranks with B = 1 see the
    /// same clips, so with synchronised BatchNorm one step computes the same
    /// losses, the same averaged gradients (compared directly, see
    /// `gradientDifference`) and, on the same weights, the same validation
    /// figures (each rank validates its share, the sums are added across
    /// ranks) up to float summation order; without sync-BN the gradients must
    /// differ. With 3 ranks the replicas must also be bit-identical to each other.
    func checkSyncBNMatchesOneRank(ranks: Int) throws {
        let data = path("set\(ranks)")
        try TinyDataSet.write(to: data, sequences: (0..<ranks).map { _ in TinyDataSet.Sequence(frames: 2, split: "train") }
                                + [.init(frames: 2, split: "val"), .init(frames: 3, split: "val"), .init(frames: 2, split: "val")],
                              seed: 3)
        let common = ["--data", data, "--steps", "1", "--log-level", "quiet", "--print-checksum"]
        let one = try train(common + ["--run", path("one\(ranks)"), "--batch", "\(ranks)"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let synced = try train(common + ["--run", path("sync\(ranks)"), "--batch", "1", "--sync-bn"], ranks: ranks)
        XCTAssertEqual(synced.status, 0, synced.stderr)
        let unsynced = try train(common + ["--run", path("local\(ranks)"), "--batch", "1"], ranks: ranks)
        XCTAssertEqual(unsynced.status, 0, unsynced.stderr)
        let sums = try checksums(synced)
        XCTAssertEqual(sums.count, ranks)
        XCTAssertEqual(Set(sums).count, 1, "replicas diverged: \(sums)")

        func load(_ run: String) throws -> Pix2PixTrainer {
            try model(from: CheckpointDirectory(run: path(run)).path(step: 1))
        }
        let reference = try load("one\(ranks)")
        let (synchronised, where_) = gradientDifference(try load("sync\(ranks)"), reference)
        XCTAssertLessThanOrEqual(synchronised, 1e-4, "sync-BN gradients, worst in \(where_)")
        XCTAssertGreaterThan(gradientDifference(try load("local\(ranks)"), reference).0, 1e-2,
                             "the test data cannot tell sync-BN apart")

        let stepOne = try XCTUnwrap(events("one\(ranks)", "step").first)
        let stepSync = try XCTUnwrap(events("sync\(ranks)", "step").first)
        for key in ["loss_d", "loss_g"] {
            let a = try XCTUnwrap(stepOne[key] as? Double, key), b = try XCTUnwrap(stepSync[key] as? Double, key)
            XCTAssertEqual(b, a, accuracy: 1e-5 * abs(a), key)
        }
        let valOne = try XCTUnwrap(events("one\(ranks)", "validation").last)
        let valSync = try XCTUnwrap(events("sync\(ranks)", "validation").last)
        for key in ["val_l1", "val_psnr"] {
            let a = try XCTUnwrap(valOne[key] as? Double, key), b = try XCTUnwrap(valSync[key] as? Double, key)
            XCTAssertEqual(b, a, accuracy: 1e-4 * abs(a), key)
        }
    }

    func testSyncBNTwoRanksMatchOneRankWithTheBatchOfBoth() throws {
        try checkSyncBNMatchesOneRank(ranks: 2)
    }

    /// Three ranks on two cores (oversubscribed): the replicas stay
    /// bit-identical (the design's promise for any rank count), and the run
    /// matches one rank with B = 3 as closely as two ranks match B = 2
    /// (bit-identity across rank counts is not promised: a sum of three floats
    /// depends on its order).
    func testThreeRanksOversubscribedMatchOneRankWithTheBatchOfAll() throws {
        try checkSyncBNMatchesOneRank(ranks: 3)
    }

    /// `--accumulate 2` in one process against two ranks (B = 1, two
    /// sequences of one clip each, so both see the same two clips): after one
    /// step the averaged gradients of both networks (Adam's first moment)
    /// agree within 10⁻⁵ of each tensor's scale, the losses within 10⁻⁶, and
    /// the BatchNorm running statistics within 10⁻⁶ (float summation order
    /// only). The tolerance is tight: one process with only one of the two
    /// micro-batches, or with both in one batch of B = 2 (shared BatchNorm
    /// statistics), is off by more than 10⁻².
    func testAccumulatedMicroBatchesMatchAsManyRanks() throws {
        let data = path("pair")
        try TinyDataSet.write(to: data, sequences: [.init(frames: 2, split: "train"), .init(frames: 2, split: "train"),
                                                    .init(frames: 2, split: "val")], seed: 3)
        let common = ["--data", data, "--steps", "1", "--log-level", "quiet", "--batch", "1"]
        let ranks = try train(common + ["--run", path("ranks")], ranks: 2)
        XCTAssertEqual(ranks.status, 0, ranks.stderr)
        let accumulated = try train(common + ["--run", path("accumulated"), "--accumulate", "2"])
        XCTAssertEqual(accumulated.status, 0, accumulated.stderr)
        let single = try train(common + ["--run", path("single")])
        XCTAssertEqual(single.status, 0, single.stderr)
        let batched = try train(["--data", data, "--steps", "1", "--log-level", "quiet", "--batch", "2", "--run", path("batched")])
        XCTAssertEqual(batched.status, 0, batched.stderr)

        func load(_ run: String) throws -> Pix2PixTrainer { try model(from: CheckpointDirectory(run: path(run)).path(step: 1)) }
        let reference = try load("ranks"), mine = try load("accumulated")
        let (difference, worst) = gradientDifference(mine, reference)
        XCTAssertLessThanOrEqual(difference, 1e-5, "accumulated gradients, worst in \(worst)")
        XCTAssertGreaterThan(gradientDifference(try load("single"), reference).0, 1e-2, "one micro-batch missing")
        XCTAssertGreaterThan(gradientDifference(try load("batched"), reference).0, 1e-2, "one batch of B = 2")
        for (a, b) in [(mine.generator.parameters.bufferValues, reference.generator.parameters.bufferValues),
                       (mine.discriminator.parameters.bufferValues, reference.discriminator.parameters.bufferValues)] {
            for i in 0..<a.count { XCTAssertEqual(a[i], b[i], accuracy: 1e-6 * max(1, abs(b[i])), "running statistic \(i)") }
        }
        let stepRanks = try XCTUnwrap(events("ranks", "step").first), stepMine = try XCTUnwrap(events("accumulated", "step").first)
        for key in ["loss_d", "loss_g", "loss_g_gan", "loss_g_l1"] {
            let a = try XCTUnwrap(stepRanks[key] as? Double, key), b = try XCTUnwrap(stepMine[key] as? Double, key)
            XCTAssertEqual(b, a, accuracy: 1e-6 * abs(a), key)
        }
        XCTAssertEqual(stepMine["accumulate"] as? Int, 2)
        XCTAssertEqual(stepRanks["accumulate"] as? Int, 1)
    }

    /// The learning rate of every step in metrics.jsonl is `--lr` × the
    /// scaling rule's factor × the warm-up's, computed here by hand: linear
    /// scaling of a global batch of 2 micro-batches × 1 clip against a
    /// reference of 1 doubles 1e-4, and a warm-up of 2 steps halves the first.
    /// The number of micro-batches and the scaling rule are part of the run: a
    /// resume with others is refused in one line naming both.
    func testScaledLearningRateIsLoggedAndAResumeWithOtherBatchRulesIsRefused() throws {
        let data = try standardData()
        let run = path("run")
        let first = try train(["--data", data, "--run", run, "--steps", "3", "--batch", "1", "--accumulate", "2",
                               "--lr", "1e-4", "--lr-scaling", "linear", "--reference-batch", "1", "--warmup-steps", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let rates = try events("run", "step").map { try XCTUnwrap($0["lr"] as? Double) }
        let expected = [1e-4 * 2 * 0.5, 1e-4 * 2, 1e-4 * 2]
        XCTAssertEqual(rates.count, 3)
        for (rate, want) in zip(rates, expected) { XCTAssertEqual(rate, want, accuracy: 1e-7 * want) }
        let other = try train(["--data", data, "--run", run, "--steps", "4", "--batch", "1", "--lr", "1e-4",
                               "--reference-batch", "1", "--warmup-steps", "2", "--resume"])
        XCTAssertNotEqual(other.status, 0)
        let lines = other.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(lines.count, 1, other.stderr)
        XCTAssertTrue(other.stderr.contains("accumulate: 2 in the checkpoint, 1 now"), other.stderr)
        XCTAssertTrue(other.stderr.contains("lrScaling: linear in the checkpoint, none now"), other.stderr)
        let huge = try train(["--data", data, "--run", path("huge"), "--steps", "1", "--lr", "0.5", "--lr-scaling", "linear",
                              "--reference-batch", "1", "--batch", "4"])
        XCTAssertNotEqual(huge.status, 0)
        XCTAssertTrue(huge.stderr.contains("--lr-scaling linear makes the learning rate 2.0 (--lr 0.5 at a global batch of 4 clips"
                                           + " against --reference-batch 1); it must be at most 1"), huge.stderr)
        let bad = try train(["--data", data, "--run", path("bad"), "--steps", "1", "--accumulate", "0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--accumulate must be 1…4096 micro-batches, got 0"), bad.stderr)
    }

    func testKilledRankEndsTheJobAndTheNewestCheckpointResumes() throws {
        let data = try standardData()
        let run = path("run")
        let killed = try train(["--data", data, "--run", run, "--steps", "50", "--batch", "1", "--checkpoint-every", "2",
                                "--keep", "2", "--kill-rank", "1", "--kill-at-step", "5"], ranks: 2, timeout: 120)
        let end = Date().timeIntervalSince1970
        XCTAssertNotEqual(killed.status, 0)
        // Quickly: from the last step rank 0 logged to the end of the job, far
        // inside the process deadline (a rank waiting forever would hit it).
        let lastStep = try XCTUnwrap(events("run", "step").last?["time"] as? Double)
        XCTAssertLessThan(end - lastStep, 15, "the job outlived its dead rank")
        let dir = CheckpointDirectory(run: run)
        let newest = try XCTUnwrap(dir.newestComplete())
        XCTAssertEqual(newest.step, 4, "rank 1 died after step 5; the checkpoint of step 4 is the newest")

        // Resume on one rank: works, with a warning about the rank count.
        let resumed = try train(["--data", data, "--run", run, "--steps", "7", "--batch", "1", "--resume",
                                 "--checkpoint-every", "2", "--keep", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("was written by 2 rank(s), resuming with 1"), resumed.stderr)
        XCTAssertEqual(dir.checkpoints().map(\.step), [6, 7], "--keep 2 keeps the two newest")
    }

    /// Resuming on another rank count rescales the position in the epoch
    /// (8 steps per epoch on one rank, 4 on two): 2 → 1 ranks from step 3 of 4
    /// continues at step 6 of 8, 1 → 2 from step 5 of 8 at step 2 of 4.
    func testResumeOnAnotherRankCountRescalesTheCursor() throws {
        let data = try standardData()
        let common = ["--data", data, "--batch", "1", "--log-level", "quiet"]
        let dir = CheckpointDirectory(run: path("down"))
        XCTAssertEqual(try train(common + ["--run", path("down"), "--steps", "3"], ranks: 2).status, 0)
        XCTAssertEqual(try state(dir.path(step: 3)).cursor, SamplerCursor(epoch: 0, stepInEpoch: 3))
        let down = try train(common + ["--run", path("down"), "--steps", "4", "--resume", "--log-level", "info"])
        XCTAssertEqual(down.status, 0, down.stderr)
        XCTAssertTrue(down.stderr.contains("was written by 2 rank(s), resuming with 1"), down.stderr)
        let downState = try state(dir.path(step: 4))
        XCTAssertEqual(downState.worldSize, 1)
        XCTAssertEqual(downState.cursor, SamplerCursor(epoch: 0, stepInEpoch: 7), "resumed at 6 of 8, then one step")

        let upDir = CheckpointDirectory(run: path("up"))
        XCTAssertEqual(try train(common + ["--run", path("up"), "--steps", "5"]).status, 0)
        XCTAssertEqual(try state(upDir.path(step: 5)).cursor, SamplerCursor(epoch: 0, stepInEpoch: 5))
        let up = try train(common + ["--run", path("up"), "--steps", "6", "--resume", "--print-checksum"], ranks: 2)
        XCTAssertEqual(up.status, 0, up.stderr)
        let upState = try state(upDir.path(step: 6))
        XCTAssertEqual(upState.worldSize, 2)
        XCTAssertEqual(upState.cursor, SamplerCursor(epoch: 0, stepInEpoch: 3), "resumed at 2 of 4, then one step")
        XCTAssertEqual(Set(try checksums(up)).count, 1, "replicas identical after a resume onto more ranks")
    }

    /// The rescaling itself: the same fraction of the epoch, rounded down,
    /// clamped to the last step; the same geometry keeps the cursor.
    func testCursorRescaling() {
        func r(_ step: Int, _ old: Int, _ new: Int, epoch: Int = 2) -> SamplerCursor {
            Trainer.rescaled(SamplerCursor(epoch: epoch, stepInEpoch: step), from: old, to: new)
        }
        XCTAssertEqual(r(3, 4, 8), SamplerCursor(epoch: 2, stepInEpoch: 6))
        XCTAssertEqual(r(5, 8, 4), SamplerCursor(epoch: 2, stepInEpoch: 2))
        XCTAssertEqual(r(7, 8, 4), SamplerCursor(epoch: 2, stepInEpoch: 3))
        XCTAssertEqual(r(2, 3, 7), SamplerCursor(epoch: 2, stepInEpoch: 4))   // 4.67 → 4
        XCTAssertEqual(r(5, 5, 5), SamplerCursor(epoch: 2, stepInEpoch: 5), "same geometry: kept as is")
        XCTAssertEqual(r(0, 8, 3), SamplerCursor(epoch: 2, stepInEpoch: 0))
        // Clamped: a cursor at or past the old epoch's end stays inside the new one.
        XCTAssertEqual(r(8, 8, 4), SamplerCursor(epoch: 2, stepInEpoch: 3))
        XCTAssertEqual(r(9, 0, 4), SamplerCursor(epoch: 2, stepInEpoch: 3))
        XCTAssertEqual(r(1 << 60, 1 << 61, 10), SamplerCursor(epoch: 2, stepInEpoch: 5), "no overflow (2⁶⁰·10 is beyond Int)")
        XCTAssertEqual(r(3, 4, 1), SamplerCursor(epoch: 2, stepInEpoch: 0))
    }

    /// Trains six steps straight (run `straight`) and three, a checkpoint and
    /// three more after `--resume` (run `resumed`), on two ranks with `extra`
    /// options, and asserts the two end with the same replica checksums.
    /// - Returns: the straight run and the first half of the resumed one.
    @discardableResult
    func assertStraightEqualsResumed(_ extra: [String], file: StaticString = #filePath,
                                     line: UInt = #line) throws -> (straight: ProcessOutput, first: ProcessOutput) {
        let common = ["--data", try standardData(), "--batch", "1", "--checkpoint-every", "3", "--print-checksum",
                      "--log-level", "quiet"] + extra
        let straight = try train(common + ["--run", path("straight"), "--steps", "6"], ranks: 2)
        XCTAssertEqual(straight.status, 0, straight.stderr, file: file, line: line)
        let first = try train(common + ["--run", path("resumed"), "--steps", "3"], ranks: 2)
        XCTAssertEqual(first.status, 0, first.stderr, file: file, line: line)
        let second = try train(common + ["--run", path("resumed"), "--steps", "6", "--resume"], ranks: 2)
        XCTAssertEqual(second.status, 0, second.stderr, file: file, line: line)
        XCTAssertEqual(try checksums(second), try checksums(straight), file: file, line: line)
        return (straight, first)
    }

    /// Six steps straight equal three, a checkpoint, and three more after
    /// `--resume`, bit for bit on two ranks (weights, optimiser state, sampler
    /// cursor and RNG all come back). A tiny `--bucket-mb` splits the
    /// gradients into many all-reduce buckets, so bucketing is covered too.
    func testResumeIsBitExact() throws {
        let (straight, first) = try assertStraightEqualsResumed(["--bucket-mb", "0.01"])
        XCTAssertNotEqual(try checksums(first), try checksums(straight))
        // Epochs of 4 steps (2 ranks × 8 clips): the resumed run crossed an epoch boundary too.
        XCTAssertEqual(try state(CheckpointDirectory(run: path("resumed")).path(step: 6)).cursor,
                       SamplerCursor(epoch: 1, stepInEpoch: 2))
    }

    /// The same with the generator's moving average and augmentation on: the
    /// average comes back from the checkpoint (and reaches every rank), and the
    /// augmentation draws depend on nothing a resume loses.
    func testResumeWithAverageAndAugmentationIsBitExact() throws {
        let (straight, _) = try assertStraightEqualsResumed(["--ema", "0.9", "--augment"])
        let file = try ModelFile.open(CheckpointDirectory(run: path("resumed")).path(step: 6))
        defer { file.close() }
        XCTAssertTrue(try file.has(.generatorAverage), "the checkpoint keeps the average")
        // Without augmentation the run is another one.
        let plain = try train(["--data", try standardData(), "--batch", "1", "--print-checksum", "--log-level", "quiet",
                               "--ema", "0.9", "--run", path("plain"), "--steps", "6"], ranks: 2)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertNotEqual(try checksums(plain), try checksums(straight))
    }

    func testBadDataDirectoryIsOneClearLineOnEveryRankCount() throws {
        for ranks in [1, 2] {
            let result = try train(["--data", path("missing"), "--run", path("run"), "--steps", "2"], ranks: ranks, timeout: 30)
            XCTAssertNotEqual(result.status, 0)
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            XCTAssertEqual(lines.count, 1, result.stderr)
            // One rank: nothing else at all. Two: mpirun adds its own report of the
            // non-zero exit, but no rank repeats the error.
            if ranks == 1 { XCTAssertNil(oneLineErrorProblem(result), result.stderr) }
            XCTAssertEqual(result.stderr.components(separatedBy: "no such data set").count - 1, 1, result.stderr)
            XCTAssertTrue(lines.first?.contains("missing") ?? false, result.stderr)
            XCTAssertTrue(lines.first?.contains("no such data set") ?? false, result.stderr)
        }
        // Options are checked as early, on every rank.
        let bad = try train(["--data", try standardData(), "--run", path("run"), "--steps", "2", "--batch", "0"], ranks: 2, timeout: 30)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderr.components(separatedBy: "Error: --batch must be at least 1").count - 1, 1, bad.stderr)
        // Too little data for the geometry.
        let small = try train(["--data", try standardData(), "--run", path("run2"), "--steps", "2", "--batch", "5"], ranks: 2, timeout: 30)
        XCTAssertNotEqual(small.status, 0)
        XCTAssertTrue(small.stderr.contains("cannot make one training step"), small.stderr)
    }

    func testHugeOptionValuesAreErrorsOrSaturateInsteadOfTrapping() throws {
        let data = try standardData()
        let bucket = try train(["--data", data, "--run", path("run"), "--steps", "1", "--batch", "1", "--bucket-mb", "1e300"])
        XCTAssertEqual(bucket.status, 1, bucket.stderr)
        XCTAssertTrue(bucket.stderr.contains("Error: --bucket-mb must be a number in 0…1000000, got 1e+300"), bucket.stderr)
        // (epochs − epoch) × steps per epoch overflowed Int: the remaining-steps note saturates.
        // The run kills itself (SIGKILL, status 9) after its first step; a trap would be SIGILL/SIGTRAP.
        let epochs = try train(["--data", data, "--run", path("run2"), "--batch", "1", "--epochs", "\(Int.max / 2)",
                                "--kill-rank", "0", "--kill-at-step", "1"])
        XCTAssertEqual(epochs.status, SIGKILL, epochs.stderr)
        XCTAssertTrue(epochs.stderr.contains("training \(Int.max) steps from step 0"), epochs.stderr)
        // An ETA beyond Int seconds is "?", not a trap.
        XCTAssertEqual(ProgressLine.duration(1e300), "?")
        XCTAssertEqual(ProgressLine.duration(3725), "1h02m")
    }

    /// Issue 25, cause 9: `--epochs` at Int.max made the progress line say
    /// "step 1/-1" (an Int printed with %d, which reads 32 bits of it). The
    /// saturated total shows as it is, as the start line gives it.
    func testEpochsAtIntMaxShowTheirStepCount() throws {
        let data = try standardData()
        let r = try runTrain(["--data", data, "--run", path("run"), "--base", "2", "--clip", "2", "--batch", "1",
                              "--epochs", "\(Int.max)", "--log-level", "debug", "--kill-rank", "0", "--kill-at-step", "2"],
                             ranks: 1, timeout: 60)
        XCTAssertEqual(r.status, SIGKILL, r.stderr)
        XCTAssertTrue(r.stderr.contains("training \(Int.max) steps from step 0"), r.stderr)
        XCTAssertTrue(r.stderr.contains("step 1/\(Int.max) epoch 0 loss_D"), r.stderr)
        XCTAssertFalse(r.stderr.contains("/-1 "), r.stderr)
    }

    func testIndexFrameCountsNotBackedByTheShardAreAnError() throws {
        let data = try standardData()
        let indexPath = (data as NSString).appendingPathComponent("index.json")
        var index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as? [String: Any])
        var sequences = try XCTUnwrap(index["sequences"] as? [[String: Any]])
        sequences[1]["frames"] = 1_000_000_000_000_000_000
        index["sequences"] = sequences
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: indexPath))
        // Used to abort allocating the sampler's clips.
        let result = try train(["--data", data, "--run", path("run"), "--steps", "1", "--batch", "1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("has 5 frames, index.json says 1000000000000000000"), result.stderr)
    }

    func testMismatchedResumeAndReusedRunAreClearErrors() throws {
        let data = try standardData()
        let run = path("run")
        XCTAssertEqual(try train(["--data", data, "--run", run, "--steps", "1", "--batch", "1"]).status, 0)
        let other = try train(["--data", data, "--run", run, "--steps", "2", "--batch", "2", "--resume", "--base", "4"], ranks: 2, timeout: 30)
        XCTAssertNotEqual(other.status, 0)
        let lines = other.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(lines.count, 1, other.stderr)
        XCTAssertTrue(other.stderr.contains("model.baseWidth: 2 in the checkpoint, 4 now"), other.stderr)
        XCTAssertTrue(other.stderr.contains("batch: 1 in the checkpoint, 2 now"), other.stderr)

        let again = try train(["--data", data, "--run", run, "--steps", "2", "--batch", "1"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already holds checkpoints"), again.stderr)

        // --init takes the weights only: a new run, fresh optimiser.
        let checkpoint = CheckpointDirectory(run: run).path(step: 1)
        let initialised = try train(["--data", data, "--run", path("fresh"), "--steps", "1", "--batch", "1", "--init", checkpoint])
        XCTAssertEqual(initialised.status, 0, initialised.stderr)
        XCTAssertEqual(try state(CheckpointDirectory(run: path("fresh")).path(step: 1)).generatorAdamSteps, 1)
    }

    func testNaNLossStopsEveryRankWithoutACheckpoint() throws {
        let data = try standardData()
        let run = path("run")
        let result = try train(["--data", data, "--run", run, "--steps", "6", "--batch", "1", "--checkpoint-every", "2",
                                "--nan-at-step", "3"], ranks: 2, timeout: 30)
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines.first?.contains("step 3: loss_D is NaN; stopping without writing a checkpoint (the newest checkpoint is step 2)") ?? false,
                      result.stderr)
        XCTAssertEqual(CheckpointDirectory(run: run).checkpoints().map(\.step), [2])
    }
}
