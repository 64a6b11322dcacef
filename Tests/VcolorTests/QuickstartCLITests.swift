import Foundation
import TestSupport
import XCTest

final class QuickstartCLITests: XCTestCase {
    /// The whole quickstart, reduced (tiny model, two steps, short clips, one
    /// rank) with --compare: every product exists and eval compares both runs.
    func testReducedQuickstartWithCompare() throws {
        let dir = try makeScratchDirectory() + "/qs"
        // A colour clip with sound stands in for the real one scripts/fetch-sample-clip.sh fetches.
        let real = try makeScratchDirectory() + "/real.mp4"
        let make = try runTool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=10:duration=1.2",
                                          "-f", "lavfi", "-i", "sine=duration=1.2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                          "-c:a", "aac", real])
        XCTAssertEqual(make.status, 0, make.stderr)
        let r = try runVcolor(["quickstart", "--dir", dir, "--steps", "2", "--base", "2", "--frames", "8",
                               "--ranks", "1", "--compare", "--report", "--real-clip", real])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Its first step: the shipped model on the real clip, beside grey and the truth.
        XCTAssertTrue(r.stdout.contains("The shipped model on a real clip it never saw"), r.stdout)
        XCTAssertTrue(r.stdout.contains("vcolor-b16-lstm.safetensors"), r.stdout)
        let realEval = try XCTUnwrap(r.stdout.components(separatedBy: "The model trained just now").first)
        XCTAssertTrue(realEval.contains("\ngrey ") && realEval.contains("\ntruth "), realEval)
        let realIn = try probeStreams(dir + "/real/input.mkv"), realOut = try probeStreams(dir + "/real/colorized.mp4")
        XCTAssertEqual(realOut.first?["nb_read_frames"] as? String, "12")
        XCTAssertEqual(realIn.first?["nb_read_frames"] as? String, "12")
        XCTAssertNotNil(realOut.first { $0["codec_type"] as? String == "audio" }, "sound kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/real/strip.png"))
        let missing = try runVcolor(["quickstart", "--dir", dir, "--real-clip", dir + "/nothing.mp4"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--real-clip \(dir)/nothing.mp4: no such readable file"), missing.stderr)
        for file in ["data/index.json", "colorized.mp4", "strip.png", "eval.json", "report.html", "held-out/input.mp4",
                     "run-lstm/checkpoints/step-00000002.h5", "run-none/checkpoints/step-00000002.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + file), file)
        }
        XCTAssertTrue(r.stdout.contains("run-lstm/checkpoints/step-00000002.h5  lstm"), r.stdout)
        XCTAssertTrue(r.stdout.contains("run-none/checkpoints/step-00000002.h5  none"), r.stdout)
        XCTAssertTrue(r.stdout.contains("vcolor colorize --model"), r.stdout)
        let input = try probeStreams(dir + "/held-out/input.mp4"), output = try probeStreams(dir + "/colorized.mp4")
        XCTAssertEqual(output.first?["nb_read_frames"] as? String, input.first?["nb_read_frames"] as? String)
        XCTAssertNotNil(output.first { $0["codec_type"] as? String == "audio" })
        let eval = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/eval.json"))) as? [String: Any]
        XCTAssertEqual((eval?["models"] as? [Any])?.count, 2)
        XCTAssertNotNil(eval?["grey"] as? [String: Any])
        XCTAssertTrue(r.stdout.contains("\ngrey "), r.stdout)
        // The report holds both runs' curves and the eval table.
        let page = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        XCTAssertEqual(page.components(separatedBy: "<svg class=\"chart\"").count - 1, 10)
        XCTAssertTrue(page.contains("<b>run-lstm</b>") && page.contains("<b>run-none</b>"))
        XCTAssertTrue(page.contains("<td class=\"name\">grey</td>"))
        let strip = try probeStreams(dir + "/strip.png")
        XCTAssertEqual(strip.first?["width"] as? Int, 6 * 192)
        XCTAssertEqual(strip.first?["height"] as? Int, 3 * 144)

        // Running it again in the same folder starts over instead of failing on the old run.
        let again = try runVcolor(["quickstart", "--dir", dir, "--steps", "3", "--base", "2", "--frames", "8", "--ranks", "1"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("replacing the earlier quickstart run"), again.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run-lstm/checkpoints/step-00000003.h5"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run-lstm/checkpoints/step-00000002.h5"))
    }
}

/// The quickstart's point: its model learns colour from the picture. A reduced
/// run (a base-4 model, 100 steps on 16-frame clips, one rank) must beat the
/// grey baseline (the true L with a*b* = 0) clearly on the held-out validation
/// clips, in PSNR and in a*b* error (measured margins: docs/colorize.md).
final class QuickstartLearnsTests: XCTestCase {
    func testReducedQuickstartBeatsGreyOnHeldOutClips() throws {
        let dir = try makeScratchDirectory() + "/qs"
        let r = try runVcolor(["quickstart", "--dir", dir, "--steps", "100", "--base", "4", "--frames", "16", "--ranks", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/eval.json"))
        let eval = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(eval["split"] as? String, "val")
        XCTAssertGreaterThanOrEqual(eval["sequences"] as? Int ?? 0, 2)
        let model = try XCTUnwrap((eval["models"] as? [[String: Any]])?.first)
        let grey = try XCTUnwrap(eval["grey"] as? [String: Any])
        let psnr = try XCTUnwrap(model["psnr"] as? Double), greyPSNR = try XCTUnwrap(grey["psnr"] as? Double)
        let error = try XCTUnwrap(model["ab_error"] as? Double), greyError = try XCTUnwrap(grey["ab_error"] as? Double)
        XCTAssertGreaterThan(psnr, greyPSNR + 1, r.stdout)
        XCTAssertLessThan(error, 0.8 * greyError, r.stdout)
    }
}

final class EvalCLITests: XCTestCase {
    func testJSONAndOneLineFailures() throws {
        let dir = try makeScratchDirectory()
        var clips: [String] = []
        for (i, source) in ["testsrc2", "rgbtestsrc"].enumerated() {
            let path = dir + "/c\(i).mp4"
            let make = try runTool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "\(source)=size=160x128:rate=10:duration=1",
                                              "-c:v", "libx264", "-pix_fmt", "yuv420p", path])
            XCTAssertEqual(make.status, 0, make.stderr)
            clips.append(path)
        }
        let prep = try runVcolor(["prep"] + clips + ["--out", dir + "/data", "--val-fraction", "0.5"])
        XCTAssertEqual(prep.status, 0, prep.stderr)
        let r = try runVcolor(["eval", "--model", colorizeFixture("tiny-lstm.safetensors"),
                               "--model", colorizeFixture("tiny-none.safetensors"), "--data", dir + "/data", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let models = try XCTUnwrap(json["models"] as? [[String: Any]])
        XCTAssertEqual(models.compactMap { $0["temporal"] as? String }, ["lstm", "none"])
        XCTAssertEqual(json["frames"] as? Int, 10)
        // BatchNorm on each call's own frames (pix2pix's test time) gives other colours.
        let clipStats = try runVcolor(["eval", "--model", colorizeFixture("tiny-lstm.safetensors"), "--data", dir + "/data",
                                       "--json", "--bn-statistics", "clip"])
        XCTAssertEqual(clipStats.status, 0, clipStats.stderr)
        let clipJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(clipStats.stdout.utf8)) as? [String: Any])
        let clipError = try XCTUnwrap((clipJSON["models"] as? [[String: Any]])?.first?["ab_error"] as? Double)
        let runningError = try XCTUnwrap(models.first?["ab_error"] as? Double)
        XCTAssertNotEqual(clipError, runningError)
        for arguments in [
            ["eval", "--model", colorizeFixture("tiny-lstm.safetensors"), "--data", dir + "/nothing"],
            ["eval", "--data", dir + "/data"],
            ["eval", "--model", dir + "/missing.h5", "--data", dir + "/data"],
            ["eval", "--model", colorizeFixture("tiny-lstm.safetensors"), "--data", dir + "/data", "--bn-statistics", "batch"],
        ] {
            let f = try runVcolor(arguments)
            XCTAssertNotEqual(f.status, 0)
            XCTAssertNil(oneLineErrorProblem(f), arguments.joined(separator: " "))
        }
        // An uncreatable folder is one line (was Foundation's NSError dump); a huge --frames
        // is refused before ffmpeg spends hours on it.
        for (arguments, message) in [
            (["quickstart", "--dir", "/proc/qs"], "Error: /proc/qs/sources: cannot create the quickstart folder (No such file or directory)\n"),
            (["quickstart", "--dir", dir + "/qs", "--frames", "100000000000000"], "Error: --frames must be at most 10000, got 100000000000000\n"),
        ] {
            let f = try runVcolor(arguments)
            XCTAssertEqual(f.status, 1, f.stderr)
            XCTAssertEqual(f.stderr, message)
        }
    }
}
