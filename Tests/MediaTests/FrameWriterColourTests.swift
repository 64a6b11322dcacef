import Foundation
import TestSupport
import XCTest
@testable import Media

/// Known colours through the real encoder, losslessly (libx264 at crf 0), and
/// back: what a video's values are (BT.601, limited range) must be what it is
/// tagged with, whether colorize feeds it Y′CbCr 4:2:0 or rgb24 (an odd side).
final class FrameWriterColourTests: XCTestCase {
    /// Patches of flat colour, 16×16 pixels each, four across and two down:
    /// primaries, secondaries, a light grey, a skin tone.
    static let patches: [(r: Double, g: Double, b: Double)] = [
        (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
        (0, 255, 255), (255, 0, 255), (200, 200, 200), (224, 172, 105),
    ]

    static func patch(x: Int, y: Int) -> (r: Double, g: Double, b: Double) {
        patches[min(y / 16, 1) * 4 + min(x / 16, 3)]
    }

    /// BT.601 Y′CbCr in limited range, from the recommendation's weights in
    /// double precision (independent of the product's integer arithmetic).
    static func ycbcr(_ c: (r: Double, g: Double, b: Double)) -> (y: UInt8, cb: UInt8, cr: UInt8) {
        let y = 16 + 219 * (0.299 * c.r + 0.587 * c.g + 0.114 * c.b) / 255
        let cb = 128 + 224 * (-0.168736 * c.r - 0.331264 * c.g + 0.5 * c.b) / 255
        let cr = 128 + 224 * (0.5 * c.r - 0.418688 * c.g - 0.081312 * c.b) / 255
        return (UInt8(y.rounded()), UInt8(cb.rounded()), UInt8(cr.rounded()))
    }

    func ffprobe(_ arguments: [String]) throws -> String {
        let ffprobe = ((SyntheticMedia.ffmpeg as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ffprobe")
        let result = try runProcess(URL(fileURLWithPath: ffprobe), arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    /// The video stream's colour tags, "key=value" a line.
    func colourTags(_ path: String) throws -> Set<String> {
        Set(try ffprobe(["-v", "error", "-select_streams", "v:0", "-show_entries",
                         "stream=color_space,color_range,color_primaries,color_transfer,chroma_location",
                         "-of", "default=nw=1", path]).split(separator: "\n").map(String.init))
    }

    /// Writes three frames of `pixels` (in the writer's layout) into a lossless MP4.
    /// (Three: of an MP4 of two frames at these times, ffmpeg's edit list hides the second.)
    func encode(_ pixels: [UInt8], width: Int, height: Int, to path: String) throws -> PixelLayout {
        let writer = try FrameWriter(video: path, width: width, height: height,
                                     options: FrameWriter.VideoOptions(timeBase: "1/25", crf: 0))
        XCTAssertEqual(pixels.count, writer.layout.bytes(width: width, height: height))
        for k in 0..<3 { try pixels.withUnsafeBufferPointer { try writer.write($0.baseAddress!, nanoseconds: Int64(k) * 40_000_000) } }
        try writer.finish()
        return writer.layout
    }

    /// ffmpeg's decode of `path` to rgb24 (honouring its tags, as every reader of colorize's output does):
    /// every patch's inside within 2 codes of its colour.
    func assertDecodesToThePatches(_ path: String, width: Int, height: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let reader = try FrameReader(.file(path), width: width, height: height)
        defer { reader.cancel() }
        var frames = 0
        while let frame = reader.next() {
            frames += 1
            var worst = 0.0
            for y in 0..<height where y % 16 >= 3 && y % 16 <= 12 {
                for x in 0..<width where x % 16 >= 3 && x % 16 <= 12 {
                    let c = Self.patch(x: x, y: y), p = frame + 3 * (y * width + x)
                    worst = max(worst, abs(Double(p[0]) - c.r), abs(Double(p[1]) - c.g), abs(Double(p[2]) - c.b))
                }
            }
            XCTAssertLessThanOrEqual(worst, 2, "frame \(frames): a patch decodes to another colour", file: file, line: line)
        }
        try reader.finishOrThrow()
        XCTAssertEqual(frames, 3, file: file, line: line)
    }

    func testYCbCrFramesAreEncodedAsTheyAreTagged() throws {
        let dir = try makeScratchDirectory(), path = dir + "/patches.mp4"
        let width = 64, height = 32
        var i420 = [UInt8](repeating: 0, count: width * height * 3 / 2)
        for y in 0..<height {
            for x in 0..<width {
                let v = Self.ycbcr(Self.patch(x: x, y: y))
                i420[y * width + x] = v.y
                if x % 2 == 0 && y % 2 == 0 {
                    let c = (y / 2) * (width / 2) + x / 2
                    i420[width * height + c] = v.cb
                    i420[width * height + (width / 2) * (height / 2) + c] = v.cr
                }
            }
        }
        XCTAssertEqual(try encode(i420, width: width, height: height, to: path), .yuv420p)
        XCTAssertEqual(try colourTags(path), ["color_range=tv", "color_space=smpte170m", "color_transfer=iec61966-2-1",
                                              "color_primaries=bt709", "chroma_location=center"])
        // Losslessly: the planes come back byte for byte, so none was converted on the way in.
        let planes = try SyntheticMedia.run(["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        XCTAssertEqual(planes.count, 3 * i420.count)
        XCTAssertTrue(Array(planes) == i420 + i420 + i420, "the planes came back changed")
        try assertDecodesToThePatches(path, width: width, height: height)
    }

    /// An odd side: rgb24 on the pipe, ffmpeg's own conversion to 4:4:4, the same tags.
    func testOddSizedFramesAreEncodedAsTheyAreTagged() throws {
        let dir = try makeScratchDirectory(), path = dir + "/patches.mp4"
        let width = 63, height = 31
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let c = Self.patch(x: x, y: y)
                rgb[3 * (y * width + x)] = UInt8(c.r); rgb[3 * (y * width + x) + 1] = UInt8(c.g); rgb[3 * (y * width + x) + 2] = UInt8(c.b)
            }
        }
        XCTAssertEqual(try encode(rgb, width: width, height: height, to: path), .rgb24)
        let tags = try colourTags(path)
        XCTAssertTrue(tags.isSuperset(of: ["color_range=tv", "color_space=smpte170m", "color_transfer=iec61966-2-1", "color_primaries=bt709"]),
                      "\(tags)")
        XCTAssertEqual(try ffprobe(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt", "-of", "csv=p=0", path])
            .trimmingCharacters(in: .whitespacesAndNewlines), "yuv444p")
        try assertDecodesToThePatches(path, width: width, height: height)
    }
}
