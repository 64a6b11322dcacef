import Foundation
import Media
import TestSupport
import XCTest
@testable import Colorize
@testable import Imaging
@testable import ModelFiles

/// colorize's own Y′CbCr 4:2:0 against what ffmpeg's swscale made of the same
/// rgb24 frames when the encoder was fed rgb24 (the conversion it replaces).
final class YCbCr420Tests: XCTestCase {
    /// ffmpeg's rgb24 → yuv420p of `frames` raw frames of `width × height`:
    /// the auto-inserted scaler of an encoder given `-pix_fmt yuv420p`.
    func swscale(_ rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let dir = try makeScratchDirectory(), raw = dir + "/frames.rgb"
        try Data(rgb).write(to: URL(fileURLWithPath: raw))
        return Array(try SyntheticMedia.run(["-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
                                             "-i", raw, "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"]))
    }

    /// Y′ of every one of the 2²⁴ colours, as one 4096×4096 frame: swscale's, exactly.
    func testLumaIsSwscalesForEveryColour() throws {
        let side = 4096
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        for v in 0..<(side * side) {
            rgb[3 * v] = UInt8(v >> 16); rgb[3 * v + 1] = UInt8((v >> 8) & 255); rgb[3 * v + 2] = UInt8(v & 255)
        }
        let theirs = try swscale(rgb, width: side, height: side)
        var planes = [UInt8](repeating: 0, count: 3 * side), ours = [UInt8](repeating: 0, count: side)
        var differing = 0
        for y in 0..<side {
            for x in 0..<side {
                for c in 0..<3 { planes[c * side + x] = rgb[3 * (y * side + x) + c] }
            }
            planes.withUnsafeBufferPointer { p in
                let p = p.baseAddress!
                YCbCr420.luma(r: p, g: p + side, b: p + 2 * side, count: side, into: &ours)
            }
            for x in 0..<side where ours[x] != theirs[y * side + x] { differing += 1 }
        }
        XCTAssertEqual(differing, 0, "colours whose Y′ differs from swscale's")
    }

    /// Flat blocks of random colour (16 pixels wide, 32 rows tall, so swscale's
    /// filters see one colour): Cb and Cr within one code of swscale's, most
    /// equal; greys exactly 128.
    func testChromaOfFlatColourIsSwscalesWithinOneCode() throws {
        let width = 4096, height = 512, blockWidth = 16, blockHeight = 32
        var seedState: UInt64 = 0x5EED
        func next() -> UInt8 {   // a fixed sequence (xorshift), not the system's
            seedState ^= seedState << 13; seedState ^= seedState >> 7; seedState ^= seedState << 17
            return UInt8(truncatingIfNeeded: seedState >> 32)
        }
        let blocksAcross = width / blockWidth, blocksDown = height / blockHeight
        var colours: [(UInt8, UInt8, UInt8)] = []
        for k in 0..<(blocksAcross * blocksDown) {
            // One block in eight is grey.
            if k % 8 == 0 { let v = next(); colours.append((v, v, v)) } else { colours.append((next(), next(), next())) }
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let c = colours[(y / blockHeight) * blocksAcross + x / blockWidth]
                rgb[3 * (y * width + x)] = c.0; rgb[3 * (y * width + x) + 1] = c.1; rgb[3 * (y * width + x) + 2] = c.2
            }
        }
        let theirs = try swscale(rgb, width: width, height: height)
        let half = width / 2, chromaPlane = half * (height / 2)
        var top = [UInt8](repeating: 0, count: 3 * width), cb = [UInt8](repeating: 0, count: half), cr = cb
        var equal = 0, above = 0, below = 0, worst = 0, compared = 0
        for k in 0..<(blocksAcross * blocksDown) {
            let c = colours[k]
            for x in 0..<width { top[x] = c.0; top[width + x] = c.1; top[2 * width + x] = c.2 }
            top.withUnsafeBufferPointer { t in YCbCr420.chroma(top: t.baseAddress!, bottom: t.baseAddress!, count: width, cb: &cb, cr: &cr) }
            if c.0 == c.1 && c.1 == c.2 { XCTAssertEqual([cb[0], cr[0]], [128, 128], "grey \(c.0)") }
            // The chroma sample in the middle of the block (away from the filters' reach across its edges).
            let row = (k / blocksAcross) * blockHeight / 2 + blockHeight / 4, column = (k % blocksAcross) * blockWidth / 2 + blockWidth / 4
            for (ours, plane) in [(cb[0], 0), (cr[0], 1)] {
                let d = Int(ours) - Int(theirs[width * height + plane * chromaPlane + row * half + column])
                worst = max(worst, abs(d))
                compared += 1
                if d == 0 { equal += 1 } else if d > 0 { above += 1 } else { below += 1 }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1)
        XCTAssertGreaterThan(Double(equal) / Double(compared), 0.8, "equal \(equal), ours above \(above), below \(below)")
    }

    /// A colourised clip as the video encoder is fed it (`forVideo`) against
    /// swscale's conversion of the same colorizer's rgb24 frames: Y′ equal, Cb
    /// and Cr within one code (the box of 2×2 against swscale's filters), on a
    /// black-and-white clip coloured by the shipped model, whose colour is
    /// smooth as a film's is. (Measured on real footage through FFV1: the same,
    /// one code in 13–14 % of chroma samples; docs/colorize.md.) A wrong matrix,
    /// range, plane order or siting is several codes off.
    func testVideoFramesAreSwscalesConversionOfTheRGBFrames() throws {
        let dir = try makeScratchDirectory(), clip = dir + "/clip.mp4"
        let width = 320, height = 180
        try SyntheticMedia.encode("testsrc2=size=\(width)x\(height):rate=25", to: clip,
                                  output: ["-frames:v", "6", "-vf", "hue=s=0", "-pix_fmt", "yuv420p"])
        let model = try ModelFile.load(repositoryDirectory.appendingPathComponent("models/vcolor-b16-lstm.safetensors").path)
        func run(forVideo: Bool) throws -> [UInt8] {
            let colorizer = Colorizer(model: model, batch: 3, forVideo: forVideo)
            var out: [UInt8] = []
            let emit: Colorizer.Emit = { f in
                XCTAssertEqual(f.layout, forVideo ? .yuv420p : .rgb24)
                out += UnsafeBufferPointer(start: f.pixels, count: f.layout.bytes(width: f.width, height: f.height))
            }
            let reader = try FrameReader(.file(clip), width: width, height: height)
            defer { reader.cancel() }
            while let frame = reader.next() { try colorizer.push(rgb: frame, width: width, height: height, emit: emit) }
            try reader.finishOrThrow()
            try colorizer.finish(emit: emit)
            XCTAssertEqual(colorizer.framesOut, 6)
            return out
        }
        let ours = try run(forVideo: true), theirs = try swscale(try run(forVideo: false), width: width, height: height)
        XCTAssertEqual(ours.count, theirs.count)
        let frame = width * height * 3 / 2
        var lumaDiffering = 0, chromaWorst = 0, chromaDiffering = 0
        for i in 0..<min(ours.count, theirs.count) where ours[i] != theirs[i] {
            if i % frame < width * height { lumaDiffering += 1 } else {
                chromaDiffering += 1
                chromaWorst = max(chromaWorst, abs(Int(ours[i]) - Int(theirs[i])))
            }
        }
        XCTAssertEqual(lumaDiffering, 0)
        XCTAssertLessThanOrEqual(chromaWorst, 1, "\(chromaDiffering) chroma values differ")
        XCTAssertLessThan(Double(chromaDiffering) / Double(ours.count / 3), 0.3, "chroma values off by one")
    }
}
