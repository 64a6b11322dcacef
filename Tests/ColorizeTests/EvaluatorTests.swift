import DataPrep
import Foundation
import Net
import XCTest
@testable import Colorize
@testable import ModelFiles
@testable import Imaging

final class EvaluatorTests: XCTestCase {
    /// A two-source data set (one source held out) made by prep from lavfi clips.
    func makeDataSet() throws -> String {
        let dir = try temporaryDirectory(self)
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

    /// The evaluator's figures against the same quantities computed directly
    /// from the shard: the truth's own change and colourfulness, and one
    /// model's a*b* error and output change from a single whole-sequence forward
    /// (the evaluator runs chunks of 4 with the state carried).
    func testFiguresMatchADirectComputation() throws {
        let data = try makeDataSet()
        let index = try DatasetIndex.load(data)
        let sequence = try XCTUnwrap(index.sequences(split: "val").first)
        XCTAssertEqual(index.sequences(split: "val").count, 1)
        let lstm = try ModelFile.load(try colorizeFixture("tiny-lstm.safetensors"))
        let none = try ModelFile.load(try colorizeFixture("tiny-none.safetensors"))
        let report = try Evaluator(models: [lstm, none], batch: 4).run(data: data)
        XCTAssertEqual(report.frames, sequence.frames)
        XCTAssertEqual(report.sequences, 1)
        XCTAssertEqual(report.models.map(\.temporal), ["lstm", "none"])

        let n = sequence.frames, plane = 128 * 128
        let reader = try ShardReader(path: DatasetIndex.shardPath(data, sequence.shard))
        defer { reader.close() }
        var lab8 = [UInt8](repeating: 0, count: n * 3 * plane)
        try lab8.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 0, count: n, into: $0) }
        // Truth: mean |Δab| over consecutive frames, colourfulness and CDC.
        var change = 0.0, colourfulness = 0.0
        var truthFrames: [RGBImage] = []
        for t in 0..<n {
            var rgb = RGBImage(width: 128, height: 128)
            lab8.withUnsafeBufferPointer { src in
                rgb.pixels.withUnsafeMutableBufferPointer { LabCodec.lab8ToRGB8(src.baseAddress! + t * 3 * plane, pixels: plane, rgb: $0.baseAddress!) }
            }
            truthFrames.append(rgb)
            colourfulness += Colourfulness.hasler(rgb)
            guard t > 0 else { continue }
            var sum = 0.0
            for p in 0..<(2 * plane) {
                sum += abs(Double(lab8[t * 3 * plane + plane + p]) - Double(lab8[(t - 1) * 3 * plane + plane + p]))
            }
            change += sum / Double(2 * plane)
        }
        XCTAssertEqual(report.truth.change, change / Double(n - 1), accuracy: 1e-6)
        XCTAssertEqual(report.truth.colourfulness, colourfulness / Double(n), accuracy: 1e-6)
        let truthCDC = try XCTUnwrap(ColourDistributionConsistency.of(truthFrames))
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
            greyPSNR += try PSNR.rgb8(rgb, truthFrames[t])
            greyFrames.append(rgb)
        }
        XCTAssertEqual(report.grey.temporal, "grey")
        XCTAssertEqual(report.grey.frames, n)
        XCTAssertEqual(report.grey.abError, greyError / Double(n), accuracy: 1e-6)
        XCTAssertGreaterThan(report.grey.abError, 5)   // the clips are colourful
        XCTAssertEqual(report.grey.psnr, greyPSNR / Double(n), accuracy: 1e-9)
        XCTAssertEqual(report.grey.outputChange, 0)
        XCTAssertEqual(report.grey.flicker, -report.truth.change, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.grey.cdc), try XCTUnwrap(ColourDistributionConsistency.of(greyFrames)), accuracy: 1e-12)

        // The LSTM model over the whole sequence in one clip.
        let L = Tensor(Shape(n, 1, 128, 128)), ab = Tensor(Shape(n, 2, 128, 128))
        lab8.withUnsafeBufferPointer { LabCodec.lab8ToNetwork($0.baseAddress!, frames: n, pixels: plane, l: L.data, ab: ab.data) }
        let out = lstm.generator.forward(L: L, batch: 1, time: n)
        var error = 0.0, outChange = 0.0
        for t in 0..<n {
            var e = 0.0, c = 0.0
            for p in 0..<(2 * plane) {
                let predicted = Double(out.data[t * 2 * plane + p]) * 110
                e += abs(predicted - (Double(lab8[t * 3 * plane + plane + p]) - 128))
                if t > 0 { c += abs(predicted - Double(out.data[(t - 1) * 2 * plane + p]) * 110) }
            }
            error += e / Double(2 * plane)
            outChange += c / Double(2 * plane)
        }
        let scores = report.models[0]
        XCTAssertEqual(scores.abError, error / Double(n), accuracy: 1e-3)
        XCTAssertEqual(scores.outputChange, outChange / Double(n - 1), accuracy: 1e-3)
        XCTAssertEqual(scores.flicker, scores.outputChange - report.truth.change, accuracy: 1e-12)
        XCTAssertEqual(scores.sequences.count, 1)
        XCTAssertEqual(scores.sequences[0].frames, n)
        XCTAssertEqual(scores.sequences[0].abError, scores.abError, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(scores.sequences[0].flicker), scores.flicker, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(scores.sequences[0].cdc), try XCTUnwrap(scores.cdc), accuracy: 1e-12)
        XCTAssertGreaterThan(scores.psnr, 0)
        XCTAssertLessThan(scores.psnr, PSNR.cap)
        XCTAssertGreaterThan(scores.ssim, -1)
        XCTAssertLessThan(scores.ssim, 1)

        // A frame budget cuts the evaluation short; the same frames give the same truth.
        let short = try Evaluator(models: [none]).run(data: data, maxFrames: 3)
        XCTAssertEqual(short.frames, 3)
        XCTAssertEqual(short.models[0].frames, 3)

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
        XCTAssertTrue(table.contains("a/checkpoints/step-00000010.h5  lstm"), table)
        XCTAssertTrue(table.contains("+0.200"), table)
        XCTAssertTrue(table.contains("+1.000"), table)
        XCTAssertTrue(table.contains("truth"), table)
        XCTAssertTrue(table.contains("40 frames in 2 sequences of split 'val' (128×128)"), table)
    }
}
