import Foundation
import TestSupport
import XCTest

/// The PyTorch-made fixtures of ColorizeTests, read from the source tree.
func colorizeFixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ColorizeTests/Fixtures/colorize").appendingPathComponent(name).path
}

func scratchDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir.path
}

final class ConvertCLITests: XCTestCase {
    func testConvertBothWays() throws {
        let dir = try scratchDirectory(self)
        let r1 = try runVcolor(["convert", colorizeFixturePath("tiny-all.safetensors"), dir + "/m.h5", "--what", "all"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertTrue(r1.stdout.contains("base width 2, temporal lstm, size 128"), r1.stdout)
        XCTAssertTrue(r1.stdout.contains("ignored 14"), r1.stdout)
        let r2 = try runVcolor(["convert", dir + "/m.h5", dir + "/m.safetensors"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
    }

    func testFailuresAreOneLine() throws {
        let dir = try scratchDirectory(self)
        for arguments in [
            ["convert", colorizeFixturePath("tiny-lstm.safetensors"), dir + "/m.h5", "--what", "everything"],
            ["convert", dir + "/missing.h5", dir + "/m.safetensors"],
            ["convert", colorizeFixturePath("tiny-lstm.safetensors"), dir + "/m.h5", "--what", "all"],
        ] {
            let r = try runVcolor(arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssertNil(oneLineErrorProblem(r), arguments.joined(separator: " "))
        }
    }
}
