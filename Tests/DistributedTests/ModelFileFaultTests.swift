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
final class ModelFileFaultTests: XCTestCase {
    var root: String!
    let tiny = ["--base", "2", "--clip", "2", "--batch", "1", "--log-level", "info"]

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func data() throws -> String {
        let dir = path("data")
        if !FileManager.default.fileExists(atPath: dir) { try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard) }
        return dir
    }

    func train(_ args: [String], ranks: Int = 1, timeout: TimeInterval = 60) throws -> ProcessOutput {
        try runTrain(tiny + args, ranks: ranks, timeout: timeout)
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
}
