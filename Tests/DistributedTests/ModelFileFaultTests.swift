import Foundation
import HDF5Kit
import Net
import TestFiles
import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles

/// Issue 25, the model files: weights that are finite but unusable (cause 5),
/// `inspect --verify` of a damaged checkpoint (cause 11), the all-reduce
/// precision a run was written with (cause 13), and `--resume` past a damaged
/// newest checkpoint (cause 14). Each runs the built binary as a user would,
/// on the tiny model (base width 2, clips of 2 frames, B = 1).
final class ModelFileFaultTests: TinyTrainTestCase {

    func data() throws -> String {
        let dir = path("data")
        if !FileManager.default.fileExists(atPath: dir) { try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard) }
        return dir
    }

    /// Flips one bit in the middle of `tensor`'s stored values (found in the
    /// file by its bytes), as a failing disk or a bad copy would: HDF5 still
    /// opens the file, only the tensor's checksum can tell.
    func flipABit(in checkpoint: String, tensor: String = "generator/down1.conv.weight") throws {
        let file = try HDF5File.open(checkpoint)
        let dataset = try file.root.openDataset(tensor)
        var values = [Float](repeating: 0, count: try dataset.shape().reduce(1, *))
        try values.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
        dataset.close()
        try file.close()
        let pattern = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let at = try XCTUnwrap((0...(bytes.count - pattern.count)).first { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) },
                               "\(tensor)'s values not found in \(checkpoint)")
        bytes[at + pattern.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))
    }

    /// The checkpoint's `allreduce_precision` attribute, nil when it has none.
    func storedPrecision(_ checkpoint: String) throws -> String? {
        let file = try HDF5File.open(checkpoint)
        defer { try? file.close() }
        return file.root.hasAttribute("allreduce_precision") ? try file.root.stringAttribute("allreduce_precision") : nil
    }

    /// The lines of `stderr` that are warnings.
    func warnings(_ output: ProcessOutput) -> [Substring] {
        output.stderr.split(separator: "\n").filter { $0.contains("warning: ") }
    }

    // MARK: - Cause 5: finite but huge weights

    /// Weights near Float's limit (3e38) are finite, so every tensor passes the
    /// NaN check, but the first convolution overflows and the network answers
    /// NaN for every frame: colorize wrote a grey picture and eval printed
    /// `nan`, both with exit status 0, and convert passed them on. Every
    /// command that loads a model refuses them in one line naming the file,
    /// and writes nothing.
    func testFiniteButHugeWeightsAreRefusedByEveryCommand() throws {
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        var rng = RandomGenerator(seed: 3)
        let m = try Pix2PixTrainer(config: config, rng: &rng)
        for p in m.generator.parameters.entries where p.kind == .trainable {
            for i in 0..<p.count { p.values[i] = p.values[i] < 0 ? -3e38 : 3e38 }
        }
        let huge = path("huge.h5")
        try Checkpoint.write(ModelWeights(generator: m.generator.parameters, discriminator: m.discriminator.parameters),
                             configuration: ModelConfigJSON.text(config), to: huge)
        XCTAssertNil(NonFinite.firstTensor(in: ModelWeights(m)), "the weights must be finite for this test")
        try SyntheticMedia.images(path("frames"), source: "testsrc2", count: 2)

        // Each command, and the file it would write (eval writes its table or JSON to standard output).
        let commands: [(name: String, arguments: [String], output: String?)] = [
            ("convert", ["convert", huge, path("out.safetensors")], path("out.safetensors")),
            ("colorize", ["colorize", "--model", huge, path("frames/f1.png"), "--out", path("out.png"), "--quiet"], path("out.png")),
            ("eval", ["eval", "--model", huge, "--data", try data()], nil),
            ("eval --json", ["eval", "--model", huge, "--data", try data(), "--json"], nil),
        ]
        for command in commands {
            let r = try runVcolor(command.arguments)
            XCTAssertNotEqual(r.status, 0, "\(command.name) accepted huge weights: \(r.stdout)")
            XCTAssertNil(oneLineErrorProblem(r), command.name)
            XCTAssertTrue(r.stderr.contains("\(huge): the generator's output on a probe frame is NaN or infinite"),
                          "\(command.name): \(r.stderr)")
            XCTAssertFalse(r.stdout.lowercased().contains("nan"), "\(command.name): \(r.stdout)")
            if let output = command.output { XCTAssertFalse(FileManager.default.fileExists(atPath: output), command.name) }
        }
        // The same file with ordinary weights loads: the probe refuses the overflow, not the model.
        try Checkpoint.write(ModelWeights(generator: try Pix2PixTrainer(config: config, rng: &rng).generator.parameters,
                                          discriminator: nil),
                             configuration: ModelConfigJSON.text(config), to: huge)
        let fine = try runVcolor(["colorize", "--model", huge, path("frames/f1.png"), "--out", path("out.png"), "--quiet"])
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }

    // MARK: - Cause 11: inspect --verify of a checkpoint

    /// `inspect --verify` of a checkpoint with a flipped bit exited 0, while
    /// train, colorize and convert refuse the file as corrupt. It now checks
    /// what they check (through their loader) and fails with their words.
    func testInspectVerifyOfACheckpointChecksWhatTheLoadersCheck() throws {
        let run = path("run")
        XCTAssertEqual(try train(["--data", try data(), "--run", run, "--steps", "1"]).status, 0)
        let checkpoint = CheckpointDirectory(run: run).path(step: 1)
        try SyntheticMedia.images(path("frames"), source: "testsrc2", count: 1)
        let intact = try runVcolor(["inspect", "--verify", checkpoint])
        XCTAssertEqual(intact.status, 0, intact.stderr)
        XCTAssertTrue(intact.stdout.contains("verified"), intact.stdout)

        try flipABit(in: checkpoint)
        let corrupt = "\(checkpoint):/generator/down1.conv.weight: corrupt checkpoint: the values do not match their checksum"
        let verify = try runVcolor(["inspect", "--verify", checkpoint])
        XCTAssertNotEqual(verify.status, 0, verify.stdout)
        XCTAssertTrue(verify.stderr.contains(corrupt), verify.stderr)
        XCTAssertNil(oneLineErrorProblem(verify))
        let json = try runVcolor(["inspect", "--verify", "--json", checkpoint])
        XCTAssertNotEqual(json.status, 0)
        let problems = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])["problems"]
        XCTAssertEqual(problems as? [String], [corrupt])
        // The loaders say the same.
        for arguments in [["convert", checkpoint, path("m.safetensors")],
                          ["colorize", "--model", checkpoint, path("frames/f1.png"), "--out", path("out.png")]] {
            let r = try runVcolor(arguments)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(corrupt), r.stderr)
        }
        // Without --verify, inspect lists the file and reads no values.
        XCTAssertEqual(try runVcolor(["inspect", checkpoint]).status, 0)
    }

    // MARK: - Cause 13: the all-reduce precision in the checkpoint

    /// A run's `--allreduce-precision` is stored in its checkpoints, and a
    /// resume with another one warns as a resume on another rank count does.
    /// A checkpoint written before the attribute existed resumes without a word.
    func testAllreducePrecisionIsStoredAndAChangeWarnsOnResume() throws {
        let common = ["--data", try data(), "--run", path("run")]
        let first = try train(common + ["--steps", "1", "--allreduce-precision", "bf16"], ranks: 2)
        XCTAssertEqual(first.status, 0, first.stderr)
        let dir = CheckpointDirectory(run: path("run"))
        XCTAssertEqual(try storedPrecision(dir.path(step: 1)), "bf16")

        let same = try train(common + ["--steps", "2", "--resume", "--allreduce-precision", "bf16"], ranks: 2)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(warnings(same), [], same.stderr)

        let changed = try train(common + ["--steps", "3", "--resume"], ranks: 2)
        XCTAssertEqual(changed.status, 0, changed.stderr)
        let warned = warnings(changed)
        XCTAssertEqual(warned.count, 1, changed.stderr)
        XCTAssertTrue(warned.first?.contains("\(dir.path(step: 2)) was written with --allreduce-precision bf16, resuming with fp32") ?? false,
                      changed.stderr)
        XCTAssertEqual(try storedPrecision(dir.path(step: 3)), "fp32")

        // An older checkpoint: the same file written with the fields a TrainingState had
        // before the precision (so without the attribute) reads and resumes quietly.
        let old = try ModelFile.open(dir.path(step: 3))
        let configuration = try XCTUnwrap(old.storedConfiguration)
        var rng = RandomGenerator(seed: 1)
        let model = try Pix2PixTrainer(config: try TrainingConfiguration.decode(configuration).model, rng: &rng)
        let s = try old.restore(ModelWeights(model), optimizers: Optimizers(model))
        old.close()
        let state = TrainingState(step: s.step, epoch: s.epoch, cursor: s.cursor, stepsPerEpoch: s.stepsPerEpoch,
                                  worldSize: s.worldSize, rngState: s.rngState, generatorAdamSteps: s.generatorAdamSteps,
                                  discriminatorAdamSteps: s.discriminatorAdamSteps, dataFingerprint: s.dataFingerprint)
        try Checkpoint.write(ModelWeights(model), configuration: configuration, training: (state, Optimizers(model)),
                             to: dir.path(step: 3))
        XCTAssertNil(try storedPrecision(dir.path(step: 3)))
        let older = try train(common + ["--steps", "4", "--resume", "--allreduce-precision", "bf16"], ranks: 2)
        XCTAssertEqual(older.status, 0, older.stderr)
        XCTAssertEqual(warnings(older), [], older.stderr)
    }

    // MARK: - Cause 14: --resume past a corrupt newest checkpoint

    /// `--resume` stopped at a newest checkpoint whose values fail their
    /// checksum. It now resumes from the newest intact one, saying in one line
    /// which file was corrupt and which it resumes from; rank 0 decides, so
    /// both ranks continue from the same one, and the run ends exactly as an
    /// uninterrupted one. With no intact checkpoint at all it is one error.
    /// The checkpoint `--resume` passes over is renamed aside. Left under its
    /// name it counted among the newest that `--keep` keeps, so a resumed run
    /// that stopped before that step deleted the intact checkpoints in its
    /// place (here: `--keep 1`, damaged step 4, resumed from 2 to 3 kept only
    /// the damaged step 4, and the next `--resume` found nothing intact).
    func testResumePastADamagedCheckpointSetsItAside() throws {
        let common = ["--data", try data(), "--checkpoint-every", "2"]
        let run = path("aside")
        let dir = CheckpointDirectory(run: run)
        XCTAssertEqual(try train(common + ["--run", run, "--steps", "4", "--keep", "0"]).status, 0)
        try flipABit(in: dir.path(step: 4))
        let resumed = try train(common + ["--run", run, "--steps", "3", "--keep", "1", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(dir.checkpoints().map(\.step), [3], "the intact checkpoint just written is the one kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path(step: 4) + CheckpointDirectory.unusableSuffix))
        let again = try train(common + ["--run", run, "--steps", "4", "--keep", "1", "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(warnings(again).count, 0, again.stderr)
        XCTAssertEqual(dir.checkpoints().map(\.step), [4])
    }

    func testResumeFallsBackToTheNewestIntactCheckpoint() throws {
        let common = ["--data", try data(), "--checkpoint-every", "2", "--keep", "0", "--print-checksum"]
        let straight = try train(common + ["--run", path("straight"), "--steps", "6"], ranks: 2)
        XCTAssertEqual(straight.status, 0, straight.stderr)

        let run = path("run")
        let dir = CheckpointDirectory(run: run)
        XCTAssertEqual(try train(common + ["--run", run, "--steps", "4"], ranks: 2).status, 0)
        XCTAssertEqual(dir.checkpoints().map(\.step), [2, 4])
        try flipABit(in: dir.path(step: 4))
        let resumed = try train(common + ["--run", run, "--steps", "6", "--resume"], ranks: 2)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let warned = warnings(resumed)
        XCTAssertEqual(warned.count, 1, resumed.stderr)
        let line = String(warned.first ?? "")
        XCTAssertTrue(line.contains("\(dir.path(step: 4)):/generator/down1.conv.weight: corrupt checkpoint"), line)
        XCTAssertTrue(line.contains("resuming from the newest intact checkpoint, \(dir.path(step: 2))"), line)
        XCTAssertTrue(line.contains("[renamed to \(dir.path(step: 4))\(CheckpointDirectory.unusableSuffix)]"), line)
        let sums = try printedChecksums(resumed)
        XCTAssertEqual(sums.count, 2)
        XCTAssertEqual(sums, try printedChecksums(straight), "resumed from step 2 on both ranks, as an uninterrupted run")

        // None intact: one error naming the newest and why.
        for step in [2, 4, 6] { try flipABit(in: dir.path(step: step)) }
        let none = try train(common + ["--run", run, "--steps", "8", "--resume"], ranks: 2)
        XCTAssertNotEqual(none.status, 0)
        let errors = none.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        XCTAssertEqual(errors.count, 1, none.stderr)
        XCTAssertTrue(errors.first?.contains("--resume: no intact checkpoint in \(dir.path)") ?? false, none.stderr)
        XCTAssertTrue(errors.first?.contains("\(dir.path(step: 6)):/generator/down1.conv.weight: corrupt checkpoint") ?? false,
                      none.stderr)
        XCTAssertEqual(dir.checkpoints().map(\.step), [2, 4, 6], "nothing written")
    }
}
