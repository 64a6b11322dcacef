import Foundation
import TestSupport
import XCTest

/// `vcolor bench` end to end on a tiny model: JSON lines on stdout, progress on
/// stderr, one-line errors.
final class BenchCommandTests: XCTestCase {
    func testPrintsOneJSONObjectPerLine() throws {
        let result = try runVcolor(["bench", "--threads", "1", "--base", "2", "--batch", "1", "--clip", "2",
                                    "--steps", "1", "--temporal", "none"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, result.stdout)
        var objects: [String: [String: Any]] = [:]
        for line in lines {
            let object = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            objects[try XCTUnwrap(object["benchmark"] as? String)] = object
        }
        let sgemm = try XCTUnwrap(objects["sgemm"])
        XCTAssertGreaterThan(try XCTUnwrap(sgemm["gflops"] as? Double), 0)
        let step = try XCTUnwrap(objects["train_step"])
        for key in ["median_s_per_step", "frames_per_s", "gflop_per_step", "achieved_gflops",
                    "fraction_of_sgemm_peak", "peak_rss_mib"] {
            XCTAssertGreaterThan(try XCTUnwrap(step[key] as? Double, key), 0, key)
        }
        XCTAssertEqual(step["temporal"] as? String, "none")
        XCTAssertGreaterThan(try XCTUnwrap(objects["inference"]?["frames_per_s"] as? Double), 0)
        let average = try XCTUnwrap(objects["ema_update"])
        XCTAssertGreaterThan(try XCTUnwrap(average["values"] as? Int), 0)
        XCTAssertGreaterThan(try XCTUnwrap(average["fraction_of_step"] as? Double), 0)
        XCTAssertTrue(result.stderr.contains("warm-up"), result.stderr)
    }

    func testBadSizeIsAOneLineError() throws {
        let result = try runVcolor(["bench", "--size", "100"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr.trimmingCharacters(in: .newlines),
                       "Error: frame size must be a positive multiple of 128, got 100")
    }

    /// Sizes whose products would overflow an Int are refused before anything is built.
    func testHugeSizesAreOneLineErrors() throws {
        for (arguments, message) in [
            (["--batch", "4611686018427387904"], "Error: --batch and --clip must be at most 4096, got 4611686018427387904 and 8"),
            (["--size", "1099511627776"], "Error: frame size must be at most 8192, got 1099511627776"),
            (["--base", "1099511627776"], "Error: base width must be at most 1024, got 1099511627776"),
        ] {
            let result = try runVcolor(["bench"] + arguments)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertEqual(result.stdout, "")
            XCTAssertEqual(result.stderr.trimmingCharacters(in: .newlines), message)
        }
    }

    /// `--threads 1,2` measures both counts in one process and reports the speed-ups.
    func testThreadListReportsScalingInOneRun() throws {
        let result = try runVcolor(["bench", "--threads", "1,2", "--base", "2", "--batch", "1", "--clip", "2",
                                    "--steps", "1", "--temporal", "none"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let objects = try result.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], String($0))
        }
        XCTAssertEqual(objects.map { $0["benchmark"] as? String },
                       ["sgemm", "train_step", "ema_update", "inference", "sgemm", "train_step", "ema_update", "inference", "thread_scaling"])
        XCTAssertEqual(objects.filter { $0["benchmark"] as? String == "train_step" }.map { $0["threads"] as? Int }, [1, 2])
        let scaling = try XCTUnwrap(objects.last)
        XCTAssertEqual(scaling["threads"] as? Int, 2)
        XCTAssertEqual(scaling["baseline_threads"] as? Int, 1)
        for key in ["train_step_speedup", "inference_speedup", "sgemm_speedup"] {
            XCTAssertGreaterThan(try XCTUnwrap(scaling[key] as? Double, key), 0, key)
        }
    }

    func testBadThreadListIsAOneLineError() throws {
        for list in ["0", "1,,2", "two"] {
            let result = try runVcolor(["bench", "--threads", list])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertEqual(result.stderr.trimmingCharacters(in: .newlines),
                           "Error: --threads takes counts from 1 to 1024, e.g. 2 or 1,2; got \(list)")
        }
    }
}
