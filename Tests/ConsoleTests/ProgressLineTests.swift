import XCTest
import Console

/// ProgressLine, the one progress line of prep, train, colorize and eval.
final class ProgressLineTests: XCTestCase {
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
