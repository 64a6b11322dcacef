import XCTest
@testable import Colorize

/// `--fps` has one parser (`ColorizeJob.Options.imageRate`), which `validate`
/// and the writer share. Before, `validate` accepted "2.5/1" and the writer's
/// own parser did not, silently writing 25 fps; and a rate of one frame in
/// 10⁹ s passed and overflowed the frames' nanoseconds (a trap).
final class ImageRateTests: XCTestCase {
    func rate(_ text: String) -> [Int]? {
        var options = ColorizeJob.Options()
        options.imageFrameRate = text
        return options.imageRate.map { [$0.num, $0.den] }
    }

    func testRatesAreReadExactlyOrRefused() throws {
        XCTAssertEqual(rate("25"), [25, 1])
        XCTAssertEqual(rate("29.97"), [2997, 100])
        XCTAssertEqual(rate("30000/1001"), [30000, 1001])
        XCTAssertEqual(rate("24000.0/1001"), [24000, 1001])
        XCTAssertEqual(rate("2.5/1"), [25, 10])
        XCTAssertEqual(rate("1/1000"), [1, 1000])
        for bad in ["0", "-25", "nan", "inf", "1/0", "25/", "/25", "1/2/3", "1/1000000000", "1001", "fast"] {
            XCTAssertNil(rate(bad), bad)
            var options = ColorizeJob.Options()
            options.imageFrameRate = bad
            XCTAssertThrowsError(try options.validate(), bad)
        }
    }
}
