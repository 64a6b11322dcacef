import Foundation
import Media
import TestSupport
import XCTest

/// What the in-process photo decoder accepts and refuses, file by file.
final class StillDecoderTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "still-decoder-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

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
}
