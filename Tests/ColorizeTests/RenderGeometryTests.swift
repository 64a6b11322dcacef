import Net
import TestSupport
import XCTest
@testable import Colorize
@testable import ModelFiles

/// `--render-size` and `--render-fit`: where a frame of any shape lies in the
/// picture the network sees.
final class RenderGeometryTests: XCTestCase {
    func testPadKeepsTheAspectInMultiplesOf128() {
        // (frame, render size) → network size, picture size, picture origin.
        let cases: [((Int, Int), Int, (Int, Int), (Int, Int), (Int, Int))] = [
            ((1920, 1080), 128, (128, 128), (128, 72), (0, 28)),
            ((1920, 1080), 512, (512, 384), (512, 288), (0, 48)),
            ((768, 576), 256, (256, 256), (256, 192), (0, 32)),
            ((1080, 1920), 256, (256, 256), (144, 256), (56, 0)),
            ((720, 405), 384, (384, 256), (384, 216), (0, 20)),
            ((640, 640), 256, (256, 256), (256, 256), (0, 0)),
            ((176, 144), 256, (256, 256), (256, 209), (0, 23)),
            ((5000, 2), 128, (128, 128), (128, 1), (0, 63)),
        ]
        for (frame, n, network, picture, origin) in cases {
            let g = RenderGeometry(frameWidth: frame.0, frameHeight: frame.1, renderSize: n, fit: .pad)
            XCTAssertEqual([g.width, g.height], [network.0, network.1], "\(frame) at \(n)")
            XCTAssertEqual([g.contentWidth, g.contentHeight], [picture.0, picture.1], "\(frame) at \(n)")
            XCTAssertEqual([g.contentX, g.contentY], [origin.0, origin.1], "\(frame) at \(n)")
            XCTAssertEqual(g.isFull, network == picture)
            let s = RenderGeometry(frameWidth: frame.0, frameHeight: frame.1, renderSize: n, fit: .squeeze)
            XCTAssertEqual([s.width, s.height, s.contentWidth, s.contentHeight, s.contentX, s.contentY], [n, n, n, n, 0, 0])
        }
    }

    /// The margin repeats the nearest pixel of the picture, rows and columns alike.
    func testPlaceRepeatsTheEdge() {
        let g = RenderGeometry(frameWidth: 3, frameHeight: 1000, renderSize: 128, fit: .pad)
        XCTAssertEqual([g.width, g.height, g.contentWidth, g.contentHeight, g.contentX], [128, 128, 1, 128, 63])
        let wide = RenderGeometry(frameWidth: 1000, frameHeight: 250, renderSize: 128, fit: .pad)
        XCTAssertEqual([wide.contentWidth, wide.contentHeight, wide.contentY], [128, 32, 48])
        let picture = (0..<(128 * 32)).map { Float($0) }
        var plane = [Float](repeating: -1, count: 128 * 128)
        picture.withUnsafeBufferPointer { p in plane.withUnsafeMutableBufferPointer { wide.place(p.baseAddress!, into: $0.baseAddress!) } }
        for y in 0..<128 {
            let row = min(max(y - 48, 0), 31)
            XCTAssertEqual(Array(plane[(y * 128)..<(y * 128 + 128)]), Array(picture[(row * 128)..<(row * 128 + 128)]), "row \(y)")
        }
    }

    /// A square frame fills the square either way: pad changes nothing there.
    func testPadOfASquareFrameIsSqueeze() throws {
        let model = try ModelFile.load(colorizeFixture("tiny-lstm.safetensors"))
        let side = 96
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in 0..<side { for c in 0..<3 { rgb[(y * side + x) * 3 + c] = UInt8((x * 2 + y * (c + 1)) % 256) } } }
        func run(_ fit: RenderFit) throws -> [UInt8] {
            let colorizer = Colorizer(model: model, batch: 2, fit: fit)
            var out: [UInt8] = []
            let emit: Colorizer.Emit = { out += UnsafeBufferPointer(start: $0.rgb, count: side * side * 3) }
            for _ in 0..<3 { try rgb.withUnsafeBufferPointer { try colorizer.push(rgb: $0.baseAddress!, width: side, height: side, emit: emit) } }
            try colorizer.finish(emit: emit)
            return out
        }
        let padded = try run(.pad)
        XCTAssertEqual(padded.count, 3 * side * side * 3)
        XCTAssertEqual(padded, try run(.squeeze))
    }

    /// A wide frame at a render size above the model's: the network runs on a
    /// 256 × 128 rectangle (`GeneratorStream` takes any multiples of 128; it
    /// trapped on anything but the training square before), and the frame
    /// comes back at its own size.
    func testWideFrameRunsOnARectangle() throws {
        let model = try ModelFile.load(colorizeFixture("tiny-none.safetensors"))
        let w = 200, h = 100
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) { rgb[3 * i] = UInt8(i % 200); rgb[3 * i + 1] = UInt8((i / w) * 2); rgb[3 * i + 2] = 90 }
        let colorizer = Colorizer(model: model, batch: 1, renderSize: 256, fit: .pad)
        var sizes: [[Int]] = []
        try rgb.withUnsafeBufferPointer { p in
            try colorizer.push(rgb: p.baseAddress!, width: w, height: h, emit: { sizes.append([$0.width, $0.height]) })
        }
        try colorizer.finish(emit: { sizes.append([$0.width, $0.height]) })
        XCTAssertEqual(sizes, [[w, h]])
        let g = RenderGeometry(frameWidth: w, frameHeight: h, renderSize: 256, fit: .pad)
        XCTAssertEqual([g.width, g.height], [256, 128])
    }

    /// A render size the U-Net cannot take is a one-line error before any work.
    func testRenderSizeMustBeAMultipleOf128() throws {
        var options = ColorizeJob.Options()
        for (size, message) in [(200, "--render-size must be a positive multiple of 128, got 200"),
                                (0, "--render-size must be a positive multiple of 128, got 0"),
                                (16384, "--render-size must be at most 8192, got 16384")] {
            options.renderSize = size
            XCTAssertThrowsError(try options.validate()) { XCTAssertEqual("\($0)", message) }
        }
        options.renderSize = 384
        XCTAssertNoThrow(try options.validate())
    }

    /// A render size is capped with the batch, as --batch alone is at 128²: a
    /// batch of 8192² pictures is a one-line error, not an allocation that fails.
    func testRenderSizeTimesBatchIsCapped() throws {
        var options = ColorizeJob.Options()
        (options.renderSize, options.batch) = (8192, 16)
        XCTAssertThrowsError(try options.validate()) {
            XCTAssertEqual("\($0)", "--render-size 8192 with --batch 16 is 65536 times a 128² picture a call, more than the 1024 --batch allows at 128; lower --batch")
        }
        (options.renderSize, options.batch) = (1024, 16)
        XCTAssertNoThrow(try options.validate())
        options.batch = 17
        XCTAssertThrowsError(try options.validate())
    }
}
