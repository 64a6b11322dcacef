import Foundation
import TestSupport
import XCTest

final class ConvertCLITests: XCTestCase {
    func testConvertBothWays() throws {
        let dir = try makeScratchDirectory()
        let r1 = try runVcolor(["convert", colorizeFixture("tiny-all.safetensors"), dir + "/m.h5", "--what", "all"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertTrue(r1.stdout.contains("base width 2, temporal lstm, size 128"), r1.stdout)
        XCTAssertTrue(r1.stdout.contains("ignored 14"), r1.stdout)
        let r2 = try runVcolor(["convert", dir + "/m.h5", dir + "/m.safetensors"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
    }

    func testFailuresAreOneLine() throws {
        let dir = try makeScratchDirectory()
        for arguments in [
            ["convert", colorizeFixture("tiny-lstm.safetensors"), dir + "/m.h5", "--what", "everything"],
            ["convert", dir + "/missing.h5", dir + "/m.safetensors"],
            ["convert", colorizeFixture("tiny-lstm.safetensors"), dir + "/m.h5", "--what", "all"],
        ] {
            let r = try runVcolor(arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertNil(oneLineErrorProblem(r), arguments.joined(separator: " "))
        }
    }
}
