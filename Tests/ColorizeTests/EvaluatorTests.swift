import DataPrep
import Foundation
import Net
import TestSupport
import XCTest
@testable import Colorize
@testable import ModelFiles
@testable import Imaging

final class EvaluatorTests: XCTestCase {
    /// A two-source data set (one source held out) made by prep from lavfi clips.
    func makeDataSet() throws -> String {
        let dir = try makeScratchDirectory()
        var inputs: [String] = []
        for (i, source) in ["testsrc2", "mandelbrot"].enumerated() {
            let clip = SampleClips.Clip(name: source, sources: [source])
            let path = dir + "/clip\(i).mp4"
            try SampleClips.make(clip, to: path, width: 160, height: 128, rate: 10, frames: 11)
            inputs.append(path)
        }
        var options = PrepOptions(inputs: inputs, output: dir + "/data")
        options.valFraction = 0.5
        options.progress = false
        options.workers = 1
        options.minFrames = 4
        _ = try Prep.run(options)
        return dir + "/data"
    }

    /// The truth's figures over the first `n` frames: mean |Δa*b*| of
    /// consecutive frames, mean colourfulness, and the RGB frames (for CDC and grey).
    func truthFigures(_ lab8: [UInt8], frames n: Int) -> (change: Double, colourfulness: Double, frames: [RGBImage]) {
        let plane = 128 * 128
        var change = 0.0, colourfulness = 0.0
        var frames: [RGBImage] = []
        for t in 0..<n {
            var rgb = RGBImage(width: 128, height: 128)
            lab8.withUnsafeBufferPointer { src in
                rgb.pixels.withUnsafeMutableBufferPointer { LabCodec.lab8ToRGB8(src.baseAddress! + t * 3 * plane, pixels: plane, rgb: $0.baseAddress!) }
            }
            colourfulness += Colourfulness.hasler(rgb)
            frames.append(rgb)
            guard t > 0 else { continue }
            var sum = 0.0
            for p in 0..<(2 * plane) {
                sum += abs(Double(lab8[t * 3 * plane + plane + p]) - Double(lab8[(t - 1) * 3 * plane + plane + p]))
            }
            change += sum / Double(2 * plane)
        }
        return (change / Double(n - 1), colourfulness / Double(n), frames)
    }

    /// One model's figures from a single whole-sequence forward (the evaluator
    /// runs chunks with the state carried), each per-frame figure computed here
    /// and averaged over the frames: a*b* error and output change by hand,
    /// PSNR, SSIM and colourfulness through the metric functions (which their
    /// own tests check against scikit-image) on RGB images made here.
    func directScores(_ model: LoadedModel, _ lab8: [UInt8], frames n: Int) throws -> ModelScores {
        let plane = 128 * 128
        let L = Tensor(Shape(n, 1, 128, 128)), ab = Tensor(Shape(n, 2, 128, 128))
        lab8.withUnsafeBufferPointer { LabCodec.lab8ToNetwork($0.baseAddress!, frames: n, pixels: plane, l: L.data, ab: ab.data) }
        let out = model.generator.forward(L: L, batch: 1, time: n)
        var scores = ModelScores(model: model.path, temporal: model.config.temporal.rawValue)
        var outputs: [RGBImage] = []
        for t in 0..<n {
            var e = 0.0, c = 0.0
            var l = [Float](repeating: 0, count: plane), predicted = [Float](repeating: 0, count: 2 * plane)
            for p in 0..<plane { l[p] = Float(lab8[t * 3 * plane + p]) * 100 / 255 }
            for p in 0..<(2 * plane) {
                predicted[p] = out.data[t * 2 * plane + p] * 110
                e += abs(Double(predicted[p]) - (Double(lab8[t * 3 * plane + plane + p]) - 128))
                if t > 0 { c += abs(Double(predicted[p]) - Double(out.data[(t - 1) * 2 * plane + p]) * 110) }
            }
            scores.abError += e / Double(2 * plane) / Double(n)
            var a = 0.0, b = 0.0
            for p in 0..<plane {
                a += Double(predicted[p])
                b += Double(predicted[plane + p])
            }
            scores.meanA = (scores.meanA ?? 0) + a / Double(plane) / Double(n)
            scores.meanB = (scores.meanB ?? 0) + b / Double(plane) / Double(n)
            if t > 0 { scores.outputChange += c / Double(2 * plane) / Double(n - 1) }
            var truth = RGBImage(width: 128, height: 128), output = RGBImage(width: 128, height: 128)
            lab8.withUnsafeBufferPointer { src in
                truth.pixels.withUnsafeMutableBufferPointer { LabCodec.lab8ToRGB8(src.baseAddress! + t * 3 * plane, pixels: plane, rgb: $0.baseAddress!) }
            }
            output.pixels.withUnsafeMutableBufferPointer { rgb in
                LabToRGB8.convert(l: l, a: predicted, b: Array(predicted[plane...]), count: plane, into: rgb.baseAddress!)
            }
            scores.psnr += try PSNR.rgb8(output, truth) / Double(n)
            scores.ssim += try SSIM.rgb8(output, truth) / Double(n)
            scores.colourfulness += Colourfulness.hasler(output) / Double(n)
            outputs.append(output)
        }
        scores.cdc = ColourDistributionConsistency.of(outputs)
        return scores
    }

    /// The evaluator's figures, for both models, against the same quantities
    /// computed directly from the shard (see `directScores`); a frame budget
    /// gives the truth figures of exactly the frames it keeps.
    func testFiguresMatchADirectComputation() throws {
        let data = try makeDataSet()
        let index = try DatasetIndex.load(data)
        let sequence = try XCTUnwrap(index.sequences(split: "val").first)
        XCTAssertEqual(index.sequences(split: "val").count, 1)
        let lstm = try ModelFile.load(colorizeFixture("tiny-lstm.safetensors"))
        let none = try ModelFile.load(colorizeFixture("tiny-none.safetensors"))
        let report = try Evaluator(models: [lstm, none], batch: 4).run(data: data)
        XCTAssertEqual(report.frames, sequence.frames)
        XCTAssertEqual(report.sequences, 1)
        XCTAssertEqual(report.models.map(\.temporal), ["lstm", "none"])

        let n = sequence.frames, plane = 128 * 128
        XCTAssertGreaterThan(n, 4, "more frames than one chunk of 4")
        let reader = try ShardReader(path: DatasetIndex.shardPath(data, sequence.shard))
        defer { reader.close() }
        var lab8 = [UInt8](repeating: 0, count: n * 3 * plane)
        try lab8.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 0, count: n, into: $0) }
        let truth = truthFigures(lab8, frames: n)
        XCTAssertEqual(report.truth.change, truth.change, accuracy: 1e-6)
        XCTAssertEqual(report.truth.colourfulness, truth.colourfulness, accuracy: 1e-6)
        var trueA = 0.0, trueB = 0.0
        for t in 0..<n {
            for p in 0..<plane {
                trueA += (Double(lab8[t * 3 * plane + plane + p]) - 128) / Double(plane * n)
                trueB += (Double(lab8[t * 3 * plane + 2 * plane + p]) - 128) / Double(plane * n)
            }
        }
        XCTAssertEqual(try XCTUnwrap(report.truth.meanA), trueA, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(report.truth.meanB), trueB, accuracy: 1e-9)
        XCTAssertGreaterThan(abs(trueA) + abs(trueB), 1, "the clips have a colour cast to find")
        let truthCDC = try XCTUnwrap(ColourDistributionConsistency.of(truth.frames))
        XCTAssertEqual(try XCTUnwrap(report.truth.cdc), truthCDC, accuracy: 1e-12)
        XCTAssertEqual(report.truth.sequences.map(\.id), [sequence.id])
        XCTAssertEqual(try XCTUnwrap(report.truth.sequences.first?.cdc), truthCDC, accuracy: 1e-12)

        // Grey: the true L* with a*b* = 0, so its error is the mean |true a*b*|, it
        // never changes (flicker = −the truth's change), and its PSNR is that of the
        // grey image, rebuilt here from the stored L alone.
        var greyError = 0.0, greyPSNR = 0.0
        var greyFrames: [RGBImage] = []
        for t in 0..<n {
            var e = 0.0
            for p in 0..<(2 * plane) { e += abs(Double(lab8[t * 3 * plane + plane + p]) - 128) }
            greyError += e / Double(2 * plane)
            let l = (0..<plane).map { Float(lab8[t * 3 * plane + $0]) * 100 / 255 }
            let zeros = [Float](repeating: 0, count: plane)
            var rgb = RGBImage(width: 128, height: 128)
            rgb.pixels.withUnsafeMutableBufferPointer {
                LabToRGB8.convert(l: l, a: zeros, b: zeros, count: plane, into: $0.baseAddress!)
            }
            greyPSNR += try PSNR.rgb8(rgb, truth.frames[t])
            greyFrames.append(rgb)
        }
        XCTAssertEqual(report.grey.temporal, "grey")
        XCTAssertEqual(report.grey.frames, n)
        XCTAssertEqual(report.grey.abError, greyError / Double(n), accuracy: 1e-6)
        XCTAssertGreaterThan(report.grey.abError, 5)   // the clips are colourful
        XCTAssertEqual(report.grey.psnr, greyPSNR / Double(n), accuracy: 1e-9)
        XCTAssertEqual(report.grey.outputChange, 0)
        XCTAssertEqual(report.grey.meanA, 0)
        XCTAssertEqual(report.grey.meanB, 0)
        XCTAssertEqual(try XCTUnwrap(report.grey.colourfulnessGap), report.truth.colourfulness - report.grey.colourfulness, accuracy: 1e-12)
        XCTAssertEqual(report.grey.flicker, -report.truth.change, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.grey.cdc), try XCTUnwrap(ColourDistributionConsistency.of(greyFrames)), accuracy: 1e-12)

        for (model, scores) in zip([lstm, none], report.models) {
            let direct = try directScores(model, lab8, frames: n)
            let name = scores.temporal
            XCTAssertEqual(scores.frames, n, name)
            // The evaluator runs the generator in chunks (LSTM state carried),
            // this test in one forward: the same sums in another float32 order.
            // Measured: abError (≈54) and outputChange (≈5.5) differ by about
            // 1e-7 of their size, so 1e-6 relative is tight and still safe.
            XCTAssertEqual(scores.abError, direct.abError, accuracy: 1e-6 * direct.abError, name)
            XCTAssertEqual(scores.outputChange, direct.outputChange, accuracy: 1e-6 * direct.outputChange, name)
            // CDC of the output frames made here, not the evaluator's own copy.
            // Those rare pixels rounded the other way (see PSNR below) move it
            // by up to 8e-7 of ≈0.0035 (measured): 5e-6 absolute.
            XCTAssertEqual(try XCTUnwrap(scores.cdc), try XCTUnwrap(direct.cdc), accuracy: 5e-6, name)
            XCTAssertEqual(scores.flicker, scores.outputChange - report.truth.change, accuracy: 1e-12, name)
            XCTAssertEqual(scores.sequences.count, 1, name)
            XCTAssertEqual(scores.sequences[0].frames, n, name)
            XCTAssertEqual(scores.sequences[0].abError, scores.abError, accuracy: 1e-9, name)
            XCTAssertEqual(try XCTUnwrap(scores.sequences[0].flicker), scores.flicker, accuracy: 1e-9, name)
            XCTAssertEqual(try XCTUnwrap(scores.sequences[0].cdc), try XCTUnwrap(scores.cdc), accuracy: 1e-12, name)
            // RGB images are 8-bit: a chunked forward may round a rare pixel the
            // other way, which moves PSNR by far less than 0.01 dB.
            XCTAssertEqual(scores.psnr, direct.psnr, accuracy: 0.01, name)
            XCTAssertEqual(scores.ssim, direct.ssim, accuracy: 1e-4, name)
            XCTAssertEqual(scores.colourfulness, direct.colourfulness, accuracy: 1e-3, name)
            XCTAssertEqual(try XCTUnwrap(scores.colourfulnessGap), abs(scores.colourfulness - report.truth.colourfulness),
                           accuracy: 1e-12, name)
            // Means of the same float32 outputs over 2¹⁴ pixels: 1e-5 CIELAB units.
            XCTAssertEqual(try XCTUnwrap(scores.meanA), try XCTUnwrap(direct.meanA), accuracy: 1e-5, name)
            XCTAssertEqual(try XCTUnwrap(scores.meanB), try XCTUnwrap(direct.meanB), accuracy: 1e-5, name)
            XCTAssertGreaterThan(direct.psnr, 5, name)
            XCTAssertGreaterThan(direct.colourfulness, 0, name)
        }
        XCTAssertNotEqual(report.models[0].psnr, report.models[1].psnr, "two different models")

        // A frame budget cuts the evaluation short; its truth figures are those of the frames kept.
        let short = try Evaluator(models: [none]).run(data: data, maxFrames: 3)
        XCTAssertEqual(short.frames, 3)
        XCTAssertEqual(short.models[0].frames, 3)
        let shortTruth = truthFigures(lab8, frames: 3)
        XCTAssertEqual(short.truth.change, shortTruth.change, accuracy: 1e-6)
        XCTAssertEqual(short.truth.colourfulness, shortTruth.colourfulness, accuracy: 1e-6)
        let shortDirect = try directScores(none, lab8, frames: 3)
        XCTAssertEqual(short.models[0].psnr, shortDirect.psnr, accuracy: 0.01)
        XCTAssertEqual(short.models[0].ssim, shortDirect.ssim, accuracy: 1e-4)

        XCTAssertThrowsError(try Evaluator(models: [none]).run(data: data, split: "test")) {
            XCTAssertTrue("\($0)".contains("no sequences in split 'test'"), "\($0)")
        }
        var rng = RandomGenerator(seed: 1)
        let big = try Generator(config: ModelConfig(baseWidth: 2, temporal: .none, size: 256), rng: &rng)
        let wrongSize = LoadedModel(config: big.config, generator: big, discriminator: nil, path: "big.h5")
        XCTAssertThrowsError(try Evaluator(models: [wrongSize]).run(data: data)) {
            XCTAssertTrue("\($0)".contains("256² frames"), "\($0)")
        }
    }

    func testTableShowsEveryModelAndTheTruth() {
        let report = EvalReport(data: "d", split: "val", sequences: 2, frames: 40, width: 128, height: 128,
                                models: [ModelScores(model: "runs/a/checkpoints/step-00000010.h5", temporal: "lstm", frames: 40,
                                                     psnr: 25, ssim: 0.9, abError: 5, colourfulness: 20,
                                                     outputChange: 1.7, flicker: 0.2),
                                         ModelScores(model: "b.safetensors", temporal: "none", frames: 40,
                                                     psnr: 24, ssim: 0.8, abError: 6, colourfulness: 18,
                                                     outputChange: 2.5, flicker: 1.0, cdc: 0.0123)],
                                grey: ModelScores(model: "grey", temporal: "grey", frames: 40, psnr: 21.5, ssim: 0.95,
                                                  abError: 12.25, colourfulness: 0, outputChange: 0, flicker: -1.5, cdc: 0.004),
                                truth: TruthScores(colourfulness: 30, change: 1.5, cdc: 0.00567))
        let table = report.table()
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("grey ") && $0.contains("21.50") && $0.contains("12.25") && $0.contains("-1.500") && $0.contains("0.00400") }, table)
        XCTAssertTrue(lines.contains { $0.hasPrefix("truth ") && $0.contains("30.0") && $0.contains("1.500") && $0.contains("0.00567") }, table)
        XCTAssertTrue(table.contains("0.01230"), table)
        // The colourfulness gap to the truth's 30: 10 and 12 for the models, 30 for grey.
        XCTAssertTrue(lines.contains { $0.contains("step-00000010.h5") && $0.contains(" 20.0  10.0") }, table)
        XCTAssertTrue(lines.contains { $0.hasPrefix("b.safetensors") && $0.contains(" 18.0  12.0") }, table)
        XCTAssertTrue(lines.contains { $0.hasPrefix("grey ") && $0.contains(" 0.0  30.0") }, table)
        XCTAssertTrue(table.contains("a/checkpoints/step-00000010.h5  lstm"), table)
        XCTAssertTrue(table.contains("+0.200"), table)
        XCTAssertTrue(table.contains("+1.000"), table)
        XCTAssertTrue(table.contains("truth"), table)
        XCTAssertTrue(table.contains("40 frames in 2 sequences of split 'val' (128×128)"), table)
    }
}
