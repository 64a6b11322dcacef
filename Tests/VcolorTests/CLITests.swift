import Foundation
import TestSupport
import XCTest

/// Runs the built `vcolor` binary, as a user would.
final class CLITests: XCTestCase {
    func testHelpExitsZero() throws {
        let result = try runVcolor(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("USAGE"), result.stdout)
    }

    /// TestSupport's deadline: a child still running at it is killed and the
    /// call throws at once, so a hung `vcolor` fails its test instead of blocking CI.
    func testAProcessPastItsDeadlineIsKilledAndReported() throws {
        let start = Date()
        XCTAssertThrowsError(try runProcess(URL(fileURLWithPath: "/bin/sleep"), ["30"], timeout: 1)) { error in
            XCTAssertTrue(error is ProcessTimedOut, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("sleep 30 did not finish within 1 s and was killed"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }
}
