import Foundation
import XCTest
@testable import Media
import Console

/// What ffprobe says is input like any other: absurd values must not trap.
final class MediaInfoTests: XCTestCase {
    func answer(duration: String, frames: String? = nil, rate: String = "25/1") throws -> Data {
        var video: [String: Any] = ["codec_type": "video", "width": 64, "height": 48, "r_frame_rate": rate,
                                    "duration": duration]
        if let frames { video["nb_frames"] = frames }
        return try JSONSerialization.data(withJSONObject: ["streams": [video]])
    }

    func testSaneDurationGivesAnEstimate() throws {
        let info = try MediaInfo.parse(try answer(duration: "2.0"), path: "x.mp4")
        XCTAssertEqual(info.estimatedFrames, 50)
        XCTAssertEqual(info.fps, 25)
        XCTAssertEqual(try MediaInfo.parse(try answer(duration: "2.0", frames: "7"), path: "x.mp4").estimatedFrames, 7)
    }

    func testAbsurdDurationsAndCountsGiveNoEstimate() throws {
        for duration in ["1e300", "inf", "nan", "-3", "N/A"] {
            XCTAssertNil(try MediaInfo.parse(try answer(duration: duration), path: "x.mp4").estimatedFrames, duration)
        }
        XCTAssertNil(try MediaInfo.parse(try answer(duration: "N/A", frames: "-5"), path: "x.mp4").estimatedFrames)
        // A rate of 0/0, inf or one that underflows to 0 falls back to 25 fps.
        for rate in ["0/0", "inf/1", "1e-300/1e300"] {
            XCTAssertEqual(try MediaInfo.parse(try answer(duration: "1", rate: rate), path: "x.mp4").fps, 25, rate)
        }
    }

    func testProgressDurationOfAnAbsurdETAIsAQuestionMark() {
        XCTAssertEqual(ProgressLine.duration(1e300), "?")
        XCTAssertEqual(ProgressLine.duration(.infinity), "?")
        XCTAssertEqual(ProgressLine.duration(.nan), "?")
        // The one duration format of every progress line (prep, train, colorize, eval).
        XCTAssertEqual(ProgressLine.duration(3725), "1h02m")
        XCTAssertEqual(ProgressLine.duration(65), "1m05s")
        XCTAssertEqual(ProgressLine.duration(5), "5s")
    }
}
