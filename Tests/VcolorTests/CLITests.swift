import Foundation
import XCTest

/// Runs the built `vcolor` binary, as a user would.
final class CLITests: XCTestCase {
    func testHelpExitsZero() throws {
        let result = try runVcolor(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("USAGE"), result.stdout)
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The `vcolor` executable next to this test bundle in the build products folder.
func vcolorExecutable() -> URL {
    var dir = Bundle(for: CLITests.self).bundleURL
    while dir.pathExtension != "" || !FileManager.default.fileExists(atPath: dir.appendingPathComponent("vcolor").path) {
        dir.deleteLastPathComponent()
        if dir.path == "/" { break }
    }
    return dir.appendingPathComponent("vcolor")
}

func runVcolor(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = vcolorExecutable()
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
