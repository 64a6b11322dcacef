import DataPrep
import Foundation
import Media
import Net
import TestSupport
import XCTest
@testable import Colorize
@testable import ModelFiles
@testable import Imaging

/// Decodes an image file into an RGBImage with ffmpeg (tests only).
func decodeImage(_ path: String) throws -> RGBImage {
    let info = try MediaInfo.probe(path)
    let reader = try FrameReader(.file(path), width: info.width, height: info.height)
    defer { reader.cancel() }   // a failed XCTUnwrap must not leave the reader thread and ffmpeg behind
    let frame = try XCTUnwrap(reader.next())
    let image = RGBImage(width: info.width, height: info.height,
                         pixels: Array(UnsafeBufferPointer(start: frame, count: info.width * info.height * 3)))
    XCTAssertNil(reader.next())
    try reader.finishOrThrow()
    return image
}

/// Largest difference and share of differing values between two images.
func compare(_ a: RGBImage, _ b: RGBImage) -> (max: Int, fraction: Double) {
    XCTAssertEqual(a.width, b.width)
    XCTAssertEqual(a.height, b.height)
    var worst = 0, differing = 0
    for i in 0..<min(a.pixels.count, b.pixels.count) {
        let d = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
        worst = max(worst, d)
        if d > 0 { differing += 1 }
    }
    return (worst, Double(differing) / Double(max(a.pixels.count, 1)))
}

final class ColorizerTests: XCTestCase {
    /// `frames` pushed through `colorizer` and finished: the frames it emits, copied.
    func colorize(_ frames: [RGBImage], with colorizer: Colorizer) throws -> [RGBImage] {
        var outputs: [RGBImage] = []
        let emit: Colorizer.Emit = { f in
            outputs.append(RGBImage(width: f.width, height: f.height,
                                    pixels: Array(UnsafeBufferPointer(start: f.rgb, count: f.width * f.height * 3))))
        }
        for f in frames { try f.pixels.withUnsafeBufferPointer { try colorizer.push(rgb: $0.baseAddress!, width: f.width, height: f.height, emit: emit) } }
        try colorizer.finish(emit: emit)
        return outputs
    }

    /// The whole pipeline against tools/make_colorize_fixture.py's float64 PyTorch
    /// reference: L* of colour input, area resize, the generator with the LSTM
    /// state reset at the cut between frames 1 and 2, bilinear a*b*, lab2rgb.
    /// Our float32 path may land on the other side of a rounding boundary now
    /// and then, so values may differ by 1 in at most 0.1 % of places.
    func testMatchesThePyTorchReference() throws {
        for variant in ["lstm", "none"] {
            let dir = try makeScratchDirectory()
            let model = try ModelFile.load(colorizeFixture("tiny-\(variant).safetensors"))
            var options = ColorizeJob.Options()
            options.progress = false
            options.batch = 3   // chunks of 3 inside a shot of 2 and one of 2: the cut splits a chunk
            options.fit = .squeeze   // the reference squeezes the 144×112 frames into 128²
            let summary = try ColorizeJob(model: model, options: options).run(input: colorizeFixture("input"), output: dir)
            XCTAssertEqual(summary.frames, 4)
            XCTAssertEqual(summary.cuts, 1)
            for t in 0..<4 {
                let ours = try decodeImage(dir + "/frame-\(t).png")
                let expected = try decodeImage(colorizeFixture("expected-\(variant)/frame-\(t).png"))
                let (worst, fraction) = compare(ours, expected)
                XCTAssertLessThanOrEqual(worst, 1, "\(variant) frame \(t)")
                XCTAssertLessThan(fraction, 1e-3, "\(variant) frame \(t)")
            }
        }
    }

    /// Without the reset at the cut, shot B's colours come out different: the
    /// reference test above really checks that the state is reset.
    func testIgnoringTheCutChangesTheColours() throws {
        let model = try ModelFile.load(colorizeFixture("tiny-lstm.safetensors"))
        let frames = try (0..<4).map { try decodeImage(colorizeFixture("input/frame-\($0).png")) }
        let neverCut = Colorizer(model: model, batch: 8, fit: .squeeze, detector: SceneCutDetector(threshold: 2))
        let outputs = try colorize(frames, with: neverCut)
        XCTAssertEqual(neverCut.cuts, 0)
        XCTAssertEqual(outputs.map(\.width), [144, 144, 144, 144])
        let expected = try decodeImage(colorizeFixture("expected-lstm/frame-3.png"))
        XCTAssertGreaterThan(compare(outputs[3], expected).max, 10)
        XCTAssertLessThanOrEqual(compare(outputs[0], try decodeImage(colorizeFixture("expected-lstm/frame-0.png"))).max, 1)
    }

    /// A frame that needs another network input shape starts over: a landscape
    /// 512×384 picture's LSTM state (4×3 positions) must not carry into a
    /// portrait 384×512 one (3×4, as many positions, laid out the other way).
    /// Two flat frames of one colour, so the detector finds no cut between them.
    func testAnotherInputShapeResetsTheLSTM() throws {
        let model = try ModelFile.load(colorizeFixture("tiny-lstm.safetensors"))
        func flat(_ width: Int, _ height: Int) -> RGBImage {
            RGBImage(width: width, height: height, pixels: [UInt8]((0..<(width * height)).flatMap { _ in [150, 110, 70] as [UInt8] }))
        }
        func portraitOutput(after frames: [RGBImage]) throws -> RGBImage {
            let colorizer = Colorizer(model: model, batch: 1, renderSize: 512, fit: .pad)
            let outputs = try colorize(frames, with: colorizer)
            XCTAssertEqual(colorizer.cuts, 0)
            return try XCTUnwrap(outputs.last)
        }
        let alone = try portraitOutput(after: [flat(384, 512)])
        let afterLandscape = try portraitOutput(after: [flat(512, 384), flat(384, 512)])
        XCTAssertEqual(compare(afterLandscape, alone).max, 0)
        // The state does colour this frame: after another portrait frame (same shape, no reset) it differs.
        let afterPortrait = try portraitOutput(after: [flat(384, 512), flat(384, 512)])
        XCTAssertGreaterThan(compare(afterPortrait, alone).max, 0)
    }

    /// Colorize resets the LSTM at every cut prep finds, jump cuts between
    /// similar shots too (the block rule): with the histogram rule alone it
    /// would miss the two jump cuts of the labelled clip.
    func testColorizeFindsTheCutsPrepFinds() throws {
        let dir = try makeScratchDirectory()
        let video = dir + "/cuts.mp4"
        let expected = try SyntheticMedia.labelledCuts(video)
        let model = try ModelFile.load(colorizeFixture("tiny-lstm.safetensors"))
        func cuts(_ detector: SceneCutDetector) throws -> [Int] {
            let colorizer = Colorizer(model: model, batch: 8, detector: detector)
            let reader = try FrameReader(.file(video), width: 160, height: 120)
            defer { reader.cancel() }
            while let frame = reader.next() { try colorizer.push(rgb: frame, width: 160, height: 120, emit: { _ in }) }
            try reader.finishOrThrow()
            try colorizer.finish(emit: { _ in })
            XCTAssertEqual(colorizer.framesOut, 150)
            XCTAssertEqual(colorizer.cuts, colorizer.cutFrames.count)
            return colorizer.cutFrames
        }
        XCTAssertEqual(try cuts(SceneCutDetector()), expected)
        XCTAssertEqual(try cuts(SceneCutDetector(blockThreshold: .infinity)), [60, 120], "the histogram rule alone misses the jump cuts")
    }

    /// Chunks with carried state give what one whole-clip forward gives.
    func testStreamingInChunksEqualsOneClip() throws {
        var rng = RandomGenerator(seed: 11)
        let g = try Generator(config: ModelConfig(baseWidth: 2, temporal: .lstm, size: 256), rng: &rng)
        g.training = false
        let frames = 5, plane = 256 * 256
        let L = Tensor(Shape(frames, 1, 256, 256))
        for i in 0..<L.count { L.data[i] = rng.nextUniform() * 2 - 1 }
        let whole = g.forward(L: L, batch: 1, time: frames).toArray()
        let stream = GeneratorStream(g)
        var pieces: [Float] = []
        for (start, count) in [(0, 2), (2, 1), (3, 2)] {
            let part = Tensor(Shape(count, 1, 256, 256))
            part.data.update(from: L.data + start * plane, count: count * plane)
            pieces += stream.forward(L: part, frames: count).toArray()
        }
        XCTAssertEqual(pieces.count, whole.count)
        var worst: Float = 0
        for i in 0..<whole.count { worst = max(worst, abs(pieces[i] - whole[i])) }
        XCTAssertLessThan(worst, 1e-5)
        // A reset starts over: frame 2 alone equals a fresh clip starting at frame 2.
        stream.reset()
        let part = Tensor(Shape(1, 1, 256, 256))
        part.data.update(from: L.data + 2 * plane, count: plane)
        let fresh = stream.forward(L: part, frames: 1).toArray()
        let single = g.forward(L: part, batch: 1, time: 1).toArray()
        XCTAssertEqual(fresh, single)
    }
}
