import Foundation
import TestSupport
import XCTest

/// `scripts/seed-experiment.sh` in miniature: tiny lavfi clips stand in for the
/// fetched footage, two steps of a base-2 model stand in for the budget; every
/// stage (split, prep, train under mpirun, eval, report) must run and leave its
/// products, with both variants trained on the same seed, data and steps.
final class SeedExperimentScriptTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the script with its output in a file (no pipe to fill up).
    /// Runs the script with a deadline, in an environment without this test
    /// process's MPI variables (an earlier test may have made it an MPI
    /// singleton, and the script's mpirun would then join that job); the
    /// script's output also goes to `log`.
    func runScript(_ arguments: [String], log: String) throws -> (status: Int32, output: String) {
        let result = try runProcess(Self.repository.appendingPathComponent("scripts/seed-experiment.sh"), arguments,
                                    environment: mpirunEnvironment(), timeout: 240)
        let output = result.stdout + result.stderr
        try output.write(toFile: log, atomically: true, encoding: .utf8)
        return (result.status, output)
    }

    /// A footage folder as scripts/fetch-footage.sh makes it, from ffmpeg's sources:
    /// three "real" videos of 40 frames and one photo-pan clip.
    func makeFootage(_ dir: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/photo-pan", withIntermediateDirectories: true)
        var manifest = "file\tkind\tpackage\tversion\tpackage_path\tlicence\tbytes\tframes\tfps\twidth\theight\n"
        for (file, kind, source) in [("real/a.mp4", "real", "testsrc2"), ("real/b.mp4", "real", "mandelbrot"),
                                     ("real/c.mp4", "real", "rgbtestsrc"), ("photo-pan/p.mp4", "photo-pan", "smptehdbars")] {
            let make = try runTool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "\(source)=size=160x128:rate=10",
                                              "-frames:v", "40", "-c:v", "libx264", "-pix_fmt", "yuv420p", dir + "/" + file])
            XCTAssertEqual(make.status, 0, make.stderr)
            manifest += "\(file)\t\(kind)\ttest\t0\t-\t-\t0\t40\t10/1\t160\t128\n"
        }
        try manifest.write(toFile: dir + "/footage.tsv", atomically: true, encoding: .utf8)
    }

    func testMiniatureRunGoesThroughEveryStage() throws {
        let dir = try makeScratchDirectory()
        try makeFootage(dir + "/footage")
        let work = dir + "/work"
        let r = try runScript(["--footage", dir + "/footage", "--budget", "2", "--seeds", "3", "--base", "2",
                               "--holdout", "c.mp4", "--tail", "0.25", "--vcolor", vcolorBinary().path, work],
                              log: dir + "/script.log")
        XCTAssertEqual(r.status, 0, r.output + ((try? String(contentsOfFile: work + "/experiment.log", encoding: .utf8)) ?? ""))

        // Split by video: c held out whole; a and b cut into a 30-frame head and a 10-frame tail.
        let split = try String(contentsOfFile: work + "/split.tsv", encoding: .utf8)
        for line in ["\(dir)/footage/real/c.mp4\treal\theldout\t40", "\(work)/cut/a-head.mkv\treal\ttrain\t30",
                     "\(work)/cut/a-tail.mkv\treal\tindomain\t10", "\(dir)/footage/photo-pan/p.mp4\tphoto-pan\ttrain\t40"] {
            XCTAssertTrue(split.contains(line + "\t"), "\(line) not in\n\(split)")
        }
        let frames = try probeStreams(work + "/cut/b-tail.mkv").first?["nb_read_frames"] as? String
        XCTAssertEqual(frames, "10")

        // Three data sets; held-out and in-domain are all validation; every
        // sequence labelled with its input's kind.
        for (set, sequences, labels) in [("heldout", 1, ["real"]), ("indomain", 2, ["real"]), ("data", 3, ["real", "photo-pan"])] {
            let index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/\(set)/index.json"))) as? [String: Any])
            let seqs = try XCTUnwrap(index["sequences"] as? [[String: Any]])
            XCTAssertEqual(seqs.count, sequences, set)
            XCTAssertEqual(Set(seqs.compactMap { $0["split"] as? String }), set == "data" ? ["train"] : ["val"], set)
            XCTAssertEqual(Set(seqs.compactMap { $0["label"] as? String }), Set(labels), set)
            XCTAssertEqual(seqs.compactMap { $0["label"] as? String }.count, sequences, "\(set): a sequence without its label")
        }

        // Both variants: same seed and steps, under mpirun with two ranks.
        let commands = try String(contentsOfFile: work + "/commands.txt", encoding: .utf8)
        let trains = commands.split(separator: "\n").filter { $0.contains(" train ") && $0.contains("/runs/") }
        XCTAssertEqual(trains.count, 2, commands)
        for (line, variant) in zip(trains, ["lstm", "none"]) {
            for part in ["mpirun --oversubscribe -np 2", "--temporal \(variant)", "--seed 3", "--steps 2", "--base 2"] {
                XCTAssertTrue(line.contains(part), "\(part) not in \(line)")
            }
        }
        for run in ["lstm-s3", "none-s3"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/runs/\(run)/checkpoints/step-00000002.h5"), run)
        }

        // Eval of both models on both held-out sets, and the summary table.
        for set in ["heldout", "indomain"] {
            let eval = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/eval/\(set)-s3.json"))) as? [String: Any])
            let models = try XCTUnwrap(eval["models"] as? [[String: Any]])
            XCTAssertEqual(models.compactMap { $0["temporal"] as? String }, ["lstm", "none"], set)
        }
        let summary = try String(contentsOfFile: work + "/summary.md", encoding: .utf8)
        for part in ["## whole held-out real videos", "## later segments of the training real videos",
                     "| heldout | real | 1 | 40 |", "| train | photo-pan | 1 | 40 |", "| lstm | ", "| none | ",
                     "| lstm-s3 | 2 |", "--temporal none", "| data | photo-pan | 1 | 40 |"] {
            XCTAssertTrue(summary.contains(part), "\(part) not in\n\(summary)")
        }

        // Bad options are one clear line and a non-zero exit, before any work.
        let bad = try runScript(["--budget", "soon", dir + "/bad"], log: dir + "/bad.log")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.output, "seed-experiment: --budget must be a number of steps or of minutes (e.g. 600 or 90min), got 'soon'\n")
    }
}
