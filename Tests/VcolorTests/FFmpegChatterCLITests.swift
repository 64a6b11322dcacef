import Foundation
import TestSupport
import XCTest

/// ffmpeg's own complaints about a damaged input (slices it cannot decode,
/// corrupt packets) are one summary line per input, unless `--log-level debug`
/// asks for them as they come.
final class FFmpegChatterCLITests: XCTestCase {
    /// An MPEG-2 transport stream with 150-byte holes punched every kilobyte
    /// through 20 KB of its middle: ffmpeg decodes it with a complaint per
    /// damaged slice and packet.
    func makeDamagedClip(in dir: String) throws -> String {
        let clean = dir + "/clean.ts", damaged = dir + "/damaged.ts"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                                "-t", "4", "-c:v", "mpeg2video", "-g", "25", clean])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: clean)))
        for offset in stride(from: bytes.count / 3, to: bytes.count / 3 + 20_000, by: 997) {
            for i in offset..<min(offset + 150, bytes.count) { bytes[i] = 0 }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        return damaged
    }

    func testDamagedInputIsOneSummaryLineUnlessDebug() throws {
        let dir = try makeScratchDirectory()
        let clip = try makeDamagedClip(in: dir)
        let model = colorizeFixture("tiny-none.safetensors")
        let r = try runVcolor(["colorize", "--model", model, clip, "--out", dir + "/out.mp4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let summaries = lines.filter { $0.contains("ffmpeg reported") }
        XCTAssertEqual(summaries.count, 1, r.stderr)
        let summary = try XCTUnwrap(summaries.first)
        XCTAssertTrue(summary.hasPrefix("colorize: warning: ffmpeg reported "), summary)
        XCTAssertTrue(summary.contains(" warnings decoding \(clip) (first: "), summary)
        XCTAssertTrue(summary.hasSuffix("; --log-level debug shows them"), summary)
        XCTAssertFalse(summary.contains("@ 0x"), "the first complaint without ffmpeg's [decoder @ 0x…] tag: \(summary)")
        XCTAssertFalse(lines.contains { $0.contains("@ 0x") }, "no raw ffmpeg line: \(r.stderr)")

        let quiet = try runVcolor(["colorize", "--model", model, clip, "--out", dir + "/quiet.mp4", "--quiet"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr.split(separator: "\n").map(String.init), [summary],
                       "--quiet keeps the summary, a warning, and nothing else")

        let debug = try runVcolor(["colorize", "--model", model, clip, "--out", dir + "/debug.mp4", "--log-level", "debug"])
        XCTAssertEqual(debug.status, 0, debug.stderr)
        let raw = debug.stderr.split(separator: "\n").filter { $0.hasPrefix("ffmpeg: debug: [") && $0.contains(" @ 0x") }
        XCTAssertGreaterThan(raw.count, 1, "ffmpeg's own lines pass through: \(debug.stderr)")
        XCTAssertFalse(debug.stderr.contains("ffmpeg reported"), debug.stderr)
    }

    /// A clean input says nothing of ffmpeg's.
    func testCleanInputHasNoSummary() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/clean.mp4"
        try SyntheticMedia.encode("testsrc2=size=160x120:rate=25", to: clip, output: ["-frames:v", "20", "-pix_fmt", "yuv420p"])
        let r = try runVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"), clip, "--out", dir + "/out.mp4", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
    }
}
