import Foundation
import TestSupport
import XCTest
@testable import Media

/// A missing or unrunnable ffmpeg is a one-line error that leaves no file
/// behind: not the writer's hidden output, not the reader's image list.
final class MissingFFmpegTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = try makeScratchDirectory()
    }

    /// Runs `body` with `VCOLOR_FFMPEG` set to `override` (unset when nil) and
    /// a PATH holding no ffmpeg, then puts both back.
    func withFFmpeg(_ override: String?, _ body: () throws -> Void) rethrows {
        let environment = ProcessInfo.processInfo.environment
        let saved: [(String, String?)] = ["PATH", "VCOLOR_FFMPEG"].map { ($0, environment[$0]) }
        defer { for (name, value) in saved { if let value { setenv(name, value, 1) } else { unsetenv(name) } } }
        setenv("PATH", dir + "/no-such-bin", 1)
        if let override { setenv("VCOLOR_FFMPEG", override, 1) } else { unsetenv("VCOLOR_FFMPEG") }
        try body()
    }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir) }

    func testMissingFFmpegLeavesNoTemporaryFile() throws {
        let out = (dir as NSString).appendingPathComponent("out.png")
        let image = (dir as NSString).appendingPathComponent("in.png")
        try withFFmpeg(nil) {
            XCTAssertThrowsError(try FrameWriter(image: out, width: 2, height: 2)) {
                XCTAssertTrue("\($0)".contains("ffmpeg not found"), "\($0)")
            }
            XCTAssertThrowsError(try FrameReader(.images([image]), width: 2, height: 2, temporaryDirectory: dir))
        }
        XCTAssertEqual(try contents(), [])
    }

    func testFFmpegThatCannotStartLeavesNoImageList() throws {
        let image = (dir as NSString).appendingPathComponent("in.png")
        try withFFmpeg(dir + "/not-an-ffmpeg") {
            XCTAssertThrowsError(try FrameReader(.images([image]), width: 2, height: 2, temporaryDirectory: dir))
        }
        XCTAssertEqual(try contents(), [])
    }
}
