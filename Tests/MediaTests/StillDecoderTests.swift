import Foundation
import TestSupport
import XCTest
@testable import Media

/// What the in-process photo decoder accepts and refuses, file by file, and
/// how it decodes a JPEG reduced.
final class StillDecoderTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeScratchDirectory() }

    /// A palette PNG (one component: indices into colour entries) is a colour
    /// photo, not a greyscale one.
    func testPalettePNGIsAColourPhoto() throws {
        let path = dir + "/palette.png"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=200x150",
                                "-vf", "format=pal8", "-frames:v", "1", path])
        let info = try StillDecoder().decode(path)
        XCTAssertEqual(info.pixelFormat, "pal8")
        XCTAssertFalse(info.isGreyFormat)
        XCTAssertEqual(info.width, 200)
    }

    /// Reduced by 1 (a photo smaller than any window needs), a lossless
    /// photo's pixels come out exactly, packed with alpha or without.
    func testReducingByOneGivesThePixels() throws {
        let (w, h) = (37, 23)
        var raw = [UInt8](repeating: 0, count: 4 * w * h)
        var state: UInt32 = 7
        for i in raw.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            raw[i] = UInt8(state >> 24)
        }
        for (format, channels) in [("rgb24", 3), ("rgba", 4)] {
            let input = dir + "/\(format).raw", png = dir + "/\(format).png"
            try Data(raw.prefix(channels * w * h)).write(to: URL(fileURLWithPath: input))
            try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", format, "-s", "\(w)x\(h)",
                                    "-i", input, "-frames:v", "1", png])
            let decoder = StillDecoder()
            XCTAssertEqual(try decoder.decode(png).pixelFormat, format)
            var pixels = [Float](repeating: -1, count: 4 * w * h)
            decoder.reduce(by: 1, into: &pixels)
            for i in 0..<(w * h) {
                XCTAssertEqual(Array(pixels[(4 * i)..<(4 * i + 3)]), raw[(channels * i)..<(channels * i + 3)].map(Float.init), "\(format) pixel \(i)")
                XCTAssertEqual(pixels[4 * i + 3], 0)
            }
        }
    }

    /// A JPEG cut in the middle of its scan decodes with a grey tail unless the
    /// decoder's error flags are read: it must be refused, in one line.
    func testJPEGTruncatedInItsScanIsRefused() throws {
        let whole = dir + "/whole.jpg", cut = dir + "/cut.jpg"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480",
                                "-frames:v", "1", "-q:v", "2", whole])
        XCTAssertNoThrow(try StillDecoder().decode(whole))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try StillDecoder().decode(cut)) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            XCTAssertTrue("\(error)".contains("cut.jpg"), "\(error)")
        }
    }

    /// A photo above the pixel limit is refused before its pixels are decoded:
    /// from the container's header when it gives the size, else by the
    /// decoder's own limit (a PNG's size is only in its first chunk).
    func testPhotoAboveThePixelLimitIsRefused() throws {
        let path = dir + "/huge.png"
        // 8100 × 8000 = 64.8 MP of one flat colour compresses to a few hundred kB.
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:size=8100x8000",
                                "-frames:v", "1", path])
        XCTAssertThrowsError(try StillDecoder().decode(path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("huge.png") && !text.contains("\n"), text)
            XCTAssertTrue(text.contains("8100×8000 is more than the 64-megapixel limit") || text.contains("a still may have at most 64 megapixels"), text)
        }
    }

    // Decoding a JPEG reduced (libavcodec's DCT scaling): at what scale, what
    // size it reports, what it decodes, and that it never changes a verdict.

    /// The scale is the largest power of two (up to 8) whose samples, chroma
    /// included, span at most the stored pixels allowed: 4:2:0 chroma is half
    /// as fine as luma, so it halves the scale; 4:4:4 and grey do not.
    func testJPEGDecodesAtTheScaleAllowed() throws {
        let decoder = StillDecoder()
        for (format, scales) in [("yuvj420p", [(1, 1), (2, 1), (3, 1), (4, 2), (7, 2), (8, 4), (16, 8), (100, 8)]),
                                 ("yuvj444p", [(1, 1), (2, 2), (3, 2), (4, 4), (8, 8), (100, 8)]),
                                 ("gray", [(3, 2), (8, 8)])] {
            let jpeg = dir + "/\(format).jpg"
            try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1000x600",
                                    "-vf", "scale=1001:601,format=\(format)", "-frames:v", "1", "-q:v", "2", jpeg])
            var asked: [Int] = []
            for (allowed, scale) in scales {
                let info = try decoder.decode(jpeg, reducedUpTo: { asked = [$0, $1]; return allowed })
                XCTAssertEqual(asked, [1001, 601], "the stored size, from the header")
                XCTAssertEqual(info.scale, scale, "\(format), \(allowed) allowed")
                XCTAssertEqual([info.width, info.height], [1001, 601], "the stored size, whatever the scale")
                XCTAssertEqual([info.decodedWidth, info.decodedHeight], [(1001 + scale - 1) / scale, (601 + scale - 1) / scale])
                XCTAssertEqual(StillDecoder.reducedSize(info, factor: 1).width, (1001 + scale - 1) / scale)
            }
            XCTAssertEqual(try decoder.decode(jpeg).scale, 1)
        }
        // Not a JPEG: always whole.
        let png = dir + "/p.png"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1", png])
        XCTAssertEqual(try decoder.decode(png, reducedUpTo: { _, _ in 8 }).scale, 1)
    }

    /// At 1/8 a pixel is its 8×8 block's mean, which is what reducing the whole
    /// picture by 8 computes: the two agree to the rounding of the whole
    /// decode's pixels. At 1/2 and 1/4 (and for 4:2:0, whose chroma is then
    /// reduced by 2 more), the blocks' low-pass against box means: close, not
    /// equal (testsrc2's sharp edges are the hard case).
    func testReducedDecodingMatchesReducingTheWholePicture() throws {
        // Measured: 4:4:4 at 1/8 mean 0.009 worst 1.7; 4:2:0 at 1/4 mean 0.48 worst 29, at 1/2 mean 0.25 worst 17.
        for (format, allowed, scale, limit) in [("yuvj444p", 8, 8, (mean: 0.05, worst: 3.0)),
                                                ("yuvj420p", 8, 4, (mean: 0.8, worst: 40.0)),
                                                ("yuvj420p", 4, 2, (mean: 0.5, worst: 25.0))] {
            let jpeg = dir + "/\(format).jpg"
            try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1600x1200",
                                    "-vf", "format=\(format)", "-frames:v", "1", "-q:v", "2", jpeg])
            let whole = StillDecoder(), reduced = StillDecoder()
            _ = try whole.decode(jpeg)
            XCTAssertEqual(try reduced.decode(jpeg, reducedUpTo: { _, _ in allowed }).scale, scale)
            let (w, h) = (1600 / 8, 1200 / 8)
            var a = [Float](repeating: 0, count: 4 * w * h), b = a
            whole.reduce(by: 8, into: &a)
            reduced.reduce(by: 8 / scale, into: &b)
            let differences = zip(a, b).map { abs($0 - $1) }
            let mean = differences.reduce(0, +) / Float(3 * w * h)
            XCTAssertLessThanOrEqual(Double(mean), limit.mean, "\(format) at 1/\(scale)")
            XCTAssertLessThanOrEqual(Double(differences.max()!), limit.worst, "\(format) at 1/\(scale)")
        }
    }

    /// Decoding reduced is a shortcut, never a verdict: a JPEG cut in its scan
    /// is refused for the reason the whole decode gives.
    func testReducedDecodingRefusesWhatTheWholeDecodeRefuses() throws {
        let jpeg = dir + "/whole.jpg"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x960",
                                "-frames:v", "1", "-q:v", "2", jpeg])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: jpeg))
        let cut = dir + "/cut.jpg"
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        var reasons: [String] = []
        for reduce in [false, true] {
            XCTAssertThrowsError(try reduce ? StillDecoder().decode(cut, reducedUpTo: { _, _ in 8 }) : StillDecoder().decode(cut)) {
                reasons.append("\($0)")
            }
        }
        XCTAssertEqual(reasons.count, 2)
        XCTAssertEqual(reasons.first, reasons.last)
    }

    /// The header reader: the frame's size and subsampling for what libavcodec
    /// can scale, nil otherwise.
    func testJPEGHeaderGivesTheFrameOfScalableJPEGsOnly() throws {
        let path = dir + "/h.jpg"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x122",
                                "-vf", "scale=321:123", "-frames:v", "1", path])
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func size(_ bytes: [UInt8]) -> [Int]? {
            bytes.withUnsafeBytes { JPEGHeader.scalableFrame($0) }.map { [$0.width, $0.height, $0.coarsestSample] }
        }
        XCTAssertEqual(size(jpeg), [321, 123, 2], "4:2:0")
        let sof = try XCTUnwrap((2..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        func patched(_ offset: Int, _ value: UInt8) -> [UInt8] { var b = jpeg; b[sof + offset] = value; return b }
        XCTAssertEqual(size(patched(1, 0xC2)), [321, 123, 2], "progressive")
        XCTAssertEqual(size(patched(1, 0xC1)), [321, 123, 2], "extended")
        // Components from sof + 10: id, sampling factors, table; Y 2×2, Cb and Cr 1×1.
        XCTAssertEqual(jpeg[sof + 11], 0x22)
        XCTAssertEqual(size(patched(11, 0x11)), [321, 123, 1], "4:4:4")
        XCTAssertEqual(size(patched(11, 0x41)), [321, 123, 4], "4:1:1")
        XCTAssertNil(size(patched(11, 0x50)), "a sampling factor out of 1…4")
        XCTAssertNil(size(patched(1, 0xC3)), "lossless")
        XCTAssertNil(size(patched(1, 0xC9)), "arithmetic coding")
        XCTAssertNil(size(patched(4, 12)), "12-bit samples")
        var noHeight = jpeg
        (noHeight[sof + 5], noHeight[sof + 6]) = (0, 0)
        XCTAssertNil(size(noHeight), "height left to a DNL marker")
        // A frame header inside an APP1 segment (an Exif thumbnail's) is not the frame's.
        let thumbnail: [UInt8] = [0xFF, 0xE1, 0, 13, 0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 9, 0, 9]
        XCTAssertEqual(size(Array(jpeg[0..<2]) + thumbnail + Array(jpeg[2...])), [321, 123, 2])
        XCTAssertNil(size(Array(jpeg.prefix(sof + 6))), "cut inside the frame header")
        XCTAssertNil(size([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG")
        XCTAssertNil(size([]))
    }
}
