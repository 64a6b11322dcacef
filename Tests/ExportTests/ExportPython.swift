import Foundation
import TestSupport
import XCTest

/// The Python environment of tools/setup-export-venv.sh (ONNX Runtime, the
/// ONNX checker, tbparse), found at $VCOLOR_EXPORT_VENV or
/// ~/.cache/vcolor/export-venv; the tests that need it skip with one line
/// where it is not there (CI installs no Python).
enum ExportPython {
    static func python(_ modules: [String]) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        let venv = environment["VCOLOR_EXPORT_VENV"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/vcolor/export-venv")
        let python = URL(fileURLWithPath: venv).appendingPathComponent("bin/python")
        let probe = try? runProcess(python, ["-c", "import " + modules.joined(separator: ", ")], timeout: 120)
        guard probe?.status == 0 else {
            throw XCTSkip("no Python with \(modules.joined(separator: ", ")) at \(venv) (tools/setup-export-venv.sh makes one; set VCOLOR_EXPORT_VENV)")
        }
        return python
    }

    /// tools/NAME in the source tree.
    static func tool(_ name: String) -> String {
        repositoryDirectory.appendingPathComponent("tools/" + name).path
    }

    /// Runs tools/`script` with `arguments`; fails the test with Python's stderr when it fails.
    static func run(_ python: URL, _ script: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> String {
        let out = try runProcess(python, [tool(script)] + arguments, timeout: timeout)
        guard out.status == 0 else {
            XCTFail("\(script) failed (\(out.status)): \(out.stderr)")
            throw XCTSkip("\(script) failed")
        }
        return out.stdout
    }
}
