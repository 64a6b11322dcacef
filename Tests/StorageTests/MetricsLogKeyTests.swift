import Foundation
import Storage
import XCTest

/// RUN/metrics.jsonl's keys are defined once, in `MetricsLog` (the trainer
/// writes through it, the report reads through it); the documentation's key
/// table and the scripts' Python list must say the same, and no script may
/// spell a key of its own.
final class MetricsLogKeyTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func text(_ path: String) throws -> String {
        try String(contentsOf: Self.repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// docs/training.md §Run directory: the rows of the `| key | events | value |` table, in order.
    func testTheDocumentedTableListsEveryKey() throws {
        let lines = try text("docs/training.md").components(separatedBy: "\n")
        let header = try XCTUnwrap(lines.firstIndex(of: "| key | events | value |"), "the key table of docs/training.md")
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }
        let keys = rows.map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["`"]) }
        XCTAssertEqual(keys, MetricsLog.Key.allCases.map(\.rawValue))
    }

    /// scripts/metrics_log.py: its `NAME = "value"` constants are the file name, the events and the keys.
    func testThePythonListHasEveryKey() throws {
        var constants: [(name: String, value: String)] = []
        for line in try text("scripts/metrics_log.py").components(separatedBy: "\n") {
            let parts = line.components(separatedBy: " = \"")
            guard parts.count == 2, parts[0].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }), parts[1].hasSuffix("\"") else { continue }
            constants.append((parts[0], String(parts[1].dropLast())))
        }
        XCTAssertEqual(constants.filter { $0.name == "FILE_NAME" }.map(\.value), [MetricsLog.fileName])
        XCTAssertEqual(constants.filter { $0.name.hasSuffix("_EVENT") }.map(\.value), MetricsLog.Event.allCases.map(\.rawValue))
        XCTAssertEqual(constants.filter { $0.name != "FILE_NAME" && !$0.name.hasSuffix("_EVENT") }.map(\.value),
                       MetricsLog.Key.allCases.map(\.rawValue))
    }

    /// The keys no other file format shares (those with an underscore) appear
    /// in no script but metrics_log.py, quoted.
    func testScriptsSpellNoKeyOfTheirOwn() throws {
        let scripts = Self.repository.appendingPathComponent("scripts")
        // The scripts themselves: not Python's __pycache__ or anything else a run leaves there.
        let names = try FileManager.default.contentsOfDirectory(atPath: scripts.path)
            .filter { $0 != "metrics_log.py" && ($0.hasSuffix(".py") || $0.hasSuffix(".sh")) }
        XCTAssertTrue(names.contains("experiment-figures.py"), "\(names)")
        for name in names {
            let script = try text("scripts/" + name)
            for key in MetricsLog.Key.allCases.map(\.rawValue) where key.contains("_") {
                XCTAssertFalse(script.contains("\"\(key)\"") || script.contains("'\(key)'"),
                               "scripts/\(name) spells \(key): read it through metrics_log.py")
            }
        }
    }
}
