import Foundation
import TestSupport
import XCTest
@testable import Media

/// What libavformat reports is input like any other: absurd values must not trap.
final class MediaInfoTests: XCTestCase {
    func report(duration: Double?, frames: Int = 0, rate: Rational = Rational(25, 1),
                average: Rational = Rational(0, 0)) -> ProbeReport {
        var video = ProbeReport.Stream(kind: .video, codec: "h264")
        (video.width, video.height, video.frameRate, video.averageFrameRate) = (64, 48, rate, average)
        (video.duration, video.frames) = (duration, frames)
        return ProbeReport(format: "mov,mp4,m4a,3gp,3g2,mj2", duration: nil, streams: [video])
    }

    func info(_ report: ProbeReport) throws -> MediaInfo { try MediaInfo(report: report, path: "x.mp4") }

    func testSaneDurationGivesAnEstimate() throws {
        let info = try info(report(duration: 2.0))
        XCTAssertEqual(info.estimatedFrames, 50)
        XCTAssertEqual(info.fps, 25)
        XCTAssertEqual(info.frameRate, "25/1")
        XCTAssertEqual(try self.info(report(duration: 2.0, frames: 7)).estimatedFrames, 7)
        XCTAssertEqual(try self.info(report(duration: 2.0, frames: 7)).claimedFrames, 7)
        // The average rate is the fps; the container's duration stands in for the stream's.
        var r = report(duration: nil, average: Rational(30000, 1001))
        r.duration = 10
        XCTAssertEqual(try self.info(r).fps, 30000.0 / 1001, accuracy: 1e-12)
        XCTAssertEqual(try self.info(r).estimatedFrames, 300)
    }

    func testAbsurdDurationsAndCountsGiveNoEstimate() throws {
        for duration in [1e300, .infinity, .nan, -3, nil] {
            XCTAssertNil(try info(report(duration: duration)).estimatedFrames, "\(String(describing: duration))")
        }
        XCTAssertNil(try info(report(duration: nil, frames: -5)).estimatedFrames)
        XCTAssertNil(try info(report(duration: nil, frames: -5)).claimedFrames)
        // A rate with a zero or negative part falls back to 25 fps and "25/1".
        for rate in [Rational(0, 0), Rational(1, 0), Rational(-25, 1), Rational(25, -1)] {
            let info = try info(report(duration: 1, rate: rate))
            XCTAssertEqual(info.fps, 25, "\(rate)")
            XCTAssertEqual(info.frameRate, "25/1", "\(rate)")
        }
    }

    func testNoVideoOrTextIsOneClearError() {
        var audioOnly = report(duration: 1)
        audioOnly.streams[0].kind = .audio
        XCTAssertThrowsError(try info(audioOnly)) { XCTAssertEqual(($0 as? MediaError)?.reason, "no video stream") }
        var text = report(duration: 1)
        text.format = "tty"
        XCTAssertThrowsError(try info(text)) { XCTAssertEqual(($0 as? MediaError)?.reason, "a text file, not a video") }
    }

    /// The prober on real files: what ffprobe would say, and one line for what is not a video.
    func testProbeReadsAMadeClipAndRefusesGarbage() throws {
        let directory = try makeScratchDirectory()
        let clip = directory + "/clip.mp4"
        try SyntheticMedia.run(["-nostdin", "-v", "error", "-f", "lavfi", "-i",
            "testsrc=size=96x64:rate=30000/1001:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
            "-vf", "setsar=4/3", "-c:v", "mpeg4", "-c:a", "aac", "-shortest", "-y", clip])
        let info = try MediaInfo.probe(clip)
        XCTAssertEqual([info.width, info.height, info.sarNumerator, info.sarDenominator], [96, 64, 4, 3])
        XCTAssertEqual(info.frameRate, "30000/1001")
        XCTAssertEqual(info.fps, 30000.0 / 1001, accuracy: 1e-9)
        XCTAssertEqual(info.claimedFrames, 30)
        XCTAssertEqual(info.codec, "mpeg4")
        XCTAssertEqual(info.audioCodec, "aac")
        XCTAssertTrue(info.format.contains("mp4"), info.format)

        // The deadline is wired to libavformat's I/O: a probe past it stops with one line.
        XCTAssertThrowsError(try FormatProbe.report(clip, deadlineSeconds: -1)) {
            XCTAssertEqual(($0 as? MediaError)?.reason, "not a readable video or image (probing took over -1.0 s)")
        }

        let garbage = directory + "/garbage.mp4"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 13) }).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try MediaInfo.probe(garbage)) {
            XCTAssertTrue(($0 as? MediaError)?.reason.hasPrefix("not a readable video or image (") ?? false, "\($0)")
        }
    }
}
