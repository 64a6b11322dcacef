import Foundation
import TestSupport
import XCTest

/// `--log-level` on any subcommand goes through the one log handler: one line
/// per message, `label: [level: ]message`; quiet keeps warnings and errors only.
final class LoggingCLITests: XCTestCase {
    let tinyBench = ["bench", "--threads", "1", "--base", "2", "--batch", "1", "--clip", "2", "--steps", "1",
                     "--temporal", "none"]

    func testBenchProgressIsLabelledAndQuietSilencesIt() throws {
        let info = try runVcolor(tinyBench)
        XCTAssertEqual(info.status, 0, info.stderr)
        let lines = info.stderr.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("bench: ") }, info.stderr)
        XCTAssertTrue(lines.contains { $0.hasPrefix("bench: warm-up") }, info.stderr)

        let quiet = try runVcolor(tinyBench + ["--log-level", "quiet"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(quiet.stdout.split(separator: "\n").count, 4, "the results still come: \(quiet.stdout)")
    }

    func testQuietPrepKeepsWarningsAndTheErrorOnly() throws {
        let dir = try makeScratchDirectory()
        let good = dir + "/good.mp4", bad = dir + "/bad.mp4"
        let ffmpeg = try runTool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                                            "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "12",
                                            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", good])
        XCTAssertEqual(ffmpeg.status, 0, ffmpeg.stderr)
        try "not a video\n".write(toFile: bad, atomically: true, encoding: .utf8)

        let info = try runVcolor(["prep", good, bad, "--out", dir + "/a"])
        XCTAssertNotEqual(info.status, 0)
        XCTAssertTrue(info.stderr.contains("prep: warning: skipping \(bad)"), info.stderr)
        XCTAssertTrue(info.stderr.contains("prep: [1/1] good.mp4: 12 frames"), "one line per finished input: \(info.stderr)")

        let quiet = try runVcolor(["prep", good, bad, "--out", dir + "/b", "--log-level", "quiet"])
        XCTAssertNotEqual(quiet.status, 0)
        let lines = quiet.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, quiet.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("prep: warning: skipping \(bad): ") ?? false, quiet.stderr)
        XCTAssertEqual(lines.last, "Error: 1 input(s) skipped")
    }
}
