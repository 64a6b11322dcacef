import Foundation
import Storage
import TestSupport
import XCTest
@testable import TensorBoard

/// `train --tensorboard` end to end: a run killed after step 3 (its newest
/// checkpoint at step 2) and resumed to step 5 shows every step once in
/// TensorBoard, with the values of the metrics.jsonl lines that won, and
/// `vcolor tensorboard` writes the same scalars for the finished run.
final class TensorBoardTrainTests: XCTestCase {
    /// The 4 frames of the colorize fixture.
    static let frames = colorizeFixture("input")

    /// metrics.jsonl's step lines as TensorBoard should show them: the last line of each step wins.
    static func expectedScalars(run: String) throws -> [String: Float] {
        let text = try String(contentsOfFile: run + "/" + MetricsLog.fileName, encoding: .utf8)
        var byStep: [Int: [MetricsLog.Key: Any]] = [:]
        for line in text.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["event"] as? String == "step", let step = object["step"] as? Int else { continue }
            var fields: [MetricsLog.Key: Any] = [:]
            for (k, v) in object { if let key = MetricsLog.Key(rawValue: k) { fields[key] = v } }
            byStep[step] = fields
        }
        var out: [String: Float] = [:]
        for (step, fields) in byStep {
            for (tag, value) in RunScalars.scalars(.step, fields) { out["\(tag)@\(step)"] = Float(value) }
        }
        return out
    }

    func testResumedRunShowsEachStepOnce() throws {
        let dir = try makeScratchDirectory()
        let data = dir + "/data", run = dir + "/run", tb = dir + "/tb"
        let prep = try runVcolor(["prep", Self.frames, "--out", data, "--min-frames", "2", "--val-fraction", "0"])
        XCTAssertEqual(prep.status, 0, prep.stderr)
        let common = ["train", "--data", data, "--run", run, "--base", "2", "--clip", "2", "--batch", "1",
                      "--checkpoint-every", "2", "--tensorboard", tb]
        let killed = try runVcolor(common + ["--steps", "5", "--kill-rank", "0", "--kill-at-step", "3"])
        XCTAssertEqual(killed.status, SIGKILL, killed.stderr)
        let resumed = try runVcolor(common + ["--steps", "5", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        let lines = try String(contentsOfFile: run + "/" + MetricsLog.fileName, encoding: .utf8)
        XCTAssertEqual(lines.components(separatedBy: "\"event\":\"step\"").count - 1, 6, "steps 1–3, then 3–5 again")
        let expected = try Self.expectedScalars(run: run)
        XCTAssertEqual(Set(expected.keys.map { $0.split(separator: "@")[1] }), ["1", "2", "3", "4", "5"])
        XCTAssertEqual(try TensorBoardTests.scalars(tb), expected)
        let texts = try EventFile.files(in: tb).flatMap { try EventFile.read($0) }
            .flatMap { e in e.summary.value.filter { $0.tag == RunExport.configurationTag }.map { _ in e.step } }
        XCTAssertEqual(texts, [0], "the configuration, once")

        // TensorBoard's own reader, where the Python environment is there.
        if let python = try? ExportPython.python(["tbparse", "tensorboard"]) {
            let output = try ExportPython.run(python, "tensorboard_read.py", [tb])
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            let rows = try XCTUnwrap(json["scalars"] as? [[Any]])
            XCTAssertEqual(rows.count, expected.count, "every scalar once")
            for row in rows { XCTAssertEqual(expected["\(row[0])@\(row[1])"], Float((row[2] as! NSNumber).doubleValue), "\(row)") }
        }

        let again = try runVcolor(["tensorboard", run, dir + "/tb2"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("5 steps"), again.stdout)
        XCTAssertEqual(try TensorBoardTests.scalars(dir + "/tb2"), expected)
        let refused = try runVcolor(["tensorboard", run, dir + "/tb2"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("already holds TensorBoard events"), refused.stderr)
    }
}
