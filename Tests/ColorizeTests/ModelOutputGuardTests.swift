import DataPrep
import Foundation
import Net
import TestSupport
import XCTest
@testable import Colorize
@testable import ModelFiles

/// Issue 25, cause 5, behind the load-time probe: a model whose output is
/// NaN or infinite on a real frame (weights that overflow only there) must
/// not become a grey picture or a `nan` score. Colorize and eval stop at the
/// first such output, naming the model, and write nothing.
final class ModelOutputGuardTests: XCTestCase {
    /// The fixture model, loaded (so it passed the probe), then given weights
    /// that overflow on any frame.
    func overflowingModel() throws -> LoadedModel {
        let model = try ModelFile.load(colorizeFixture("tiny-none.safetensors"))
        for p in model.generator.parameters.entries where p.kind == .trainable {
            for i in 0..<p.count { p.values[i] = p.values[i] < 0 ? -3e38 : 3e38 }
        }
        return model
    }

    func testColorizeWritesNoFrameFromANonFiniteOutput() throws {
        let dir = try makeScratchDirectory()
        let model = try overflowingModel()
        // One image into an image; the folder of frames into a folder and into a video.
        for (input, output) in [(colorizeFixture("input/frame-0.png"), dir + "/out.png"),
                                (colorizeFixture("input"), dir + "/frames"), (colorizeFixture("input"), dir + "/out.mp4")] {
            XCTAssertThrowsError(try ColorizeJob(model: model, options: quiet).run(input: input, output: output)) { error in
                XCTAssertTrue(String(describing: error).hasPrefix("\(model.path): the model's output is NaN or infinite"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), output)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".vcolor") }, [])
    }

    var quiet: ColorizeJob.Options {
        var o = ColorizeJob.Options()
        o.progress = false
        return o
    }

    func testEvalScoresNoNonFiniteOutput() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/clip.mp4"
        try SampleClips.make(SampleClips.Clip(name: "testsrc2", sources: ["testsrc2"]), to: clip,
                             width: 160, height: 128, rate: 10, frames: 6)
        var options = PrepOptions(inputs: [clip], output: dir + "/data")
        (options.valFraction, options.progress, options.workers, options.minFrames) = (0, false, 1, 4)
        _ = try Prep.run(options)
        let model = try overflowingModel()
        XCTAssertThrowsError(try Evaluator(models: [model]).run(data: dir + "/data", split: "train")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("\(model.path): the model's output is NaN or infinite"), "\(error)")
        }
    }
}
