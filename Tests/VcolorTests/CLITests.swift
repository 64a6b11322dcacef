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

    /// The deadline kills the child's children too, even one in a session of
    /// its own (as mpirun's ranks or a quickstart's ffmpeg are in groups of
    /// their own): a shell starts two `sleep`s, writes their pids and waits.
    func testTheDeadlineKillsTheChildsChildrenToo() throws {
        let pids = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-pids-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pids) }
        let script = "sleep 120 & echo $! > \(pids); setsid sleep 120 & echo $! >> \(pids); wait"
        let start = Date()
        XCTAssertThrowsError(try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script], timeout: 1))
        // 1 s deadline + 5 s grace; with the sleeps left alive the call took as long as they ran.
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        let started = try String(contentsOfFile: pids, encoding: .utf8).split(separator: "\n").compactMap { pid_t($0) }
        XCTAssertEqual(started.count, 2)
        // Killed processes may linger a moment as zombies until init reaps them.
        func alive(_ pid: pid_t) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }
        for pid in started {
            XCTAssertFalse(alive(pid), "sleep \(pid) outlived the deadline")
            if alive(pid) { kill(pid, SIGKILL) }
        }
    }
}
