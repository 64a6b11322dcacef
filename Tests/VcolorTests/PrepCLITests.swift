import DataPrep
import Foundation
import TestSupport
import XCTest

/// `vcolor prep` and `vcolor inspect` run as a user would: bad inputs, strict
/// mode, an interrupted run resumed, inspect output.
final class PrepCLITests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// An H.264 clip joining lavfi sources of `frames` each (cuts at known frames).
    func makeVideo(_ name: String, _ sources: [(String, Int)], extra: [String] = []) throws {
        try SyntheticMedia.video(path(name), sources.map { SyntheticMedia.Clip(source: $0.0, frames: $0.1) },
                                 codec: ["-c:v", "libx264", "-preset", "ultrafast"], output: extra)
    }

    func testBrokenInputsAreNamedAndSkippedOthersProcessed() throws {
        try makeVideo("good.mp4", [("testsrc2", 20), ("mandelbrot", 20)])
        try makeVideo("long.mkv", [("testsrc2", 60)])
        try "not a video\n".write(toFile: path("text.mp4"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: path("empty.mp4"), contents: Data())
        // A truncated Matroska file still decodes up to the cut; an MP4 whose
        // index (moov, at the end) is cut off decodes nothing.
        let mkv = try Data(contentsOf: URL(fileURLWithPath: path("long.mkv")))
        try mkv.prefix(mkv.count / 2).write(to: URL(fileURLWithPath: path("truncated.mkv")))
        try FileManager.default.removeItem(atPath: path("long.mkv"))
        let mp4 = try Data(contentsOf: URL(fileURLWithPath: path("good.mp4")))
        try mp4.prefix(mp4.count / 2).write(to: URL(fileURLWithPath: path("truncated.mp4")))
        try FileManager.default.createDirectory(atPath: path("nomedia"), withIntermediateDirectories: true)
        try "notes".write(toFile: path("nomedia/README.txt"), atomically: true, encoding: .utf8)

        let bad = ["text.mp4", "empty.mp4", "truncated.mp4", "missing.mp4", "nomedia"]
        let result = try runVcolor(["prep", path("good.mp4"), path("truncated.mkv")] + bad.map(path) + ["--out", path("out")])
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        for name in bad {
            let mentions = lines.filter { $0.contains("skipping") && $0.contains(path(name)) }
            XCTAssertEqual(mentions.count, 1, "\(name): \(result.stderr)")
        }
        XCTAssertTrue(lines.contains { $0.contains("truncated.mkv") && $0.contains("kept") }, result.stderr)
        XCTAssertTrue(result.stdout.contains("skipped:    5"), result.stdout)
        XCTAssertTrue(result.stdout.contains("cuts:       1"), result.stdout)
        let index = try DatasetIndex.load(path("out"))
        XCTAssertEqual(index.sources.map(\.name), ["good.mp4", "truncated.mkv"])
        XCTAssertEqual(index.sources[0].frames, 40)
        XCTAssertGreaterThan(index.sources[1].frames, 8)
        XCTAssertLessThan(index.sources[1].frames, 60)
        XCTAssertNotNil(index.sources[1].warning)
        XCTAssertEqual(index.skipped.count, 5)
    }

    func testStrictStopsAtTheFirstBadInput() throws {
        try makeVideo("good.mp4", [("testsrc2", 20)])
        try "not a video\n".write(toFile: path("bad.mp4"), atomically: true, encoding: .utf8)
        let result = try runVcolor(["prep", path("good.mp4"), path("bad.mp4"), "--strict", "--out", path("out")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains(path("bad.mp4")), result.stderr)
        XCTAssertNil(oneLineErrorProblem(result))
        let written = (try? FileManager.default.contentsOfDirectory(atPath: path("out"))) ?? []
        XCTAssertFalse(written.contains { $0.hasPrefix("shard-") }, "strict stops before processing anything else: \(written)")
        XCTAssertFalse(written.contains("index.json"), "no data set claimed")
    }

    /// Kill prep (SIGKILL, from inside the writer after N frames so the moment is
    /// reproducible) with finished and half-written shards on disk; the same
    /// command again finishes the job, and the result equals an uninterrupted run.
    func testInterruptedPrepResumesToTheSameDataSet() throws {
        try makeVideo("a.mp4", [("testsrc2", 40), ("mandelbrot", 30)])
        try makeVideo("b.mp4", [("smptebars", 30), ("cellauto=seed=1", 40)])
        try makeVideo("c.mp4", [("mandelbrot", 50)])
        let inputs = ["a.mp4", "b.mp4", "c.mp4"].map(path)
        let common = ["--shard-mb", "0.4", "--workers", "2", "--val-fraction", "0.34", "--seed", "3"]

        let whole = try runVcolor(["prep"] + inputs + ["--out", path("whole")] + common)
        XCTAssertEqual(whole.status, 0, whole.stderr)

        var environment = ProcessInfo.processInfo.environment
        environment["VCOLOR_PREP_TEST_KILL_AFTER_FRAMES"] = "120"
        let killed = try runVcolor(["prep"] + inputs + ["--out", path("resumed")] + common, environment: environment)
        XCTAssertEqual(killed.status, 9, "killed by SIGKILL")
        let partial = try DatasetIndex.load(path("resumed"), requireComplete: false)
        XCTAssertFalse(partial.complete)
        XCTAssertGreaterThan(partial.shards.count, 0, "some shards finished before the kill")
        XCTAssertLessThan(partial.sequences.count, 5)
        XCTAssertThrowsError(try DatasetIndex.load(path("resumed"))) { XCTAssertTrue("\($0)".contains("incomplete"), "\($0)") }
        // Half-written shards keep the .partial name (with two workers, a full shard
        // may still be finishing a sequence while the next one has started, so there
        // can be one or two); every file named like a finished shard is in the index.
        let files = try FileManager.default.contentsOfDirectory(atPath: path("resumed"))
        let leftovers = files.filter { $0.hasSuffix(".partial") }
        XCTAssertTrue((1...2).contains(leftovers.count), "half-written shards: \(leftovers)")
        let finished = Set(files.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".h5") })
        XCTAssertEqual(finished, Set(partial.shards.map(\.file)), "a shard named as finished but not in the index")

        let resumed = try runVcolor(["prep"] + inputs + ["--out", path("resumed")] + common)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: path("resumed")).contains { $0.hasSuffix(".partial") })

        let a = try DatasetIndex.load(path("whole")), b = try DatasetIndex.load(path("resumed"))
        func strip(_ s: DatasetIndex.Sequence) -> String { "\(s.id) \(s.source) \(s.firstFrame)+\(s.frames) \(s.split) \(s.fps)" }
        XCTAssertEqual(a.sequences.map(strip), b.sequences.map(strip))
        XCTAssertEqual(a.sources, b.sources)
        XCTAssertEqual(a.inputs, b.inputs)
        XCTAssertEqual(a.sequences.count, 5)
        // Every frame of every sequence is identical.
        for (x, y) in zip(a.sequences, b.sequences) {
            XCTAssertEqual(try frames(path("whole"), x), try frames(path("resumed"), y), x.id)
        }
    }

    func frames(_ dataset: String, _ sequence: DatasetIndex.Sequence) throws -> [UInt8] {
        let reader = try ShardReader(path: dataset + "/" + sequence.shard)
        defer { reader.close() }
        var buffer = [UInt8](repeating: 0, count: sequence.frames * 3 * reader.height * reader.width)
        try buffer.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 0, count: sequence.frames, into: $0) }
        return buffer
    }

    func testInspectDataSetShardAndBadFile() throws {
        try makeVideo("a.mp4", [("testsrc2", 20), ("smptebars", 20)])
        XCTAssertEqual(try runVcolor(["prep", path("a.mp4"), "--out", path("out")]).status, 0)
        let text = try runVcolor(["inspect", path("out")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("sequences  2 (train 2, val 0)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("a.mp4"), text.stdout)
        let json = try runVcolor(["inspect", "--json", path("out")])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["kind"] as? String, "dataset")
        XCTAssertEqual((object["frames"] as? [String: Any])?["total"] as? Int, 40)

        let shard = try runVcolor(["inspect", "--json", path("out/shard-00000.h5")])
        let shardObject = try JSONSerialization.jsonObject(with: Data(shard.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(shardObject["kind"] as? String, "shard")
        XCTAssertEqual((shardObject["sequences"] as? [[String: Any]])?.map { $0["shape"] as! [Int] }, [[20, 3, 128, 128], [20, 3, 128, 128]])

        try "hello".write(toFile: path("x.h5"), atomically: true, encoding: .utf8)
        let bad = try runVcolor(["inspect", path("x.h5")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderr, "Error: \(path("x.h5")): not an HDF5 file\n")
    }

    func testBadOptionIsOneLineError() throws {
        let result = try runVcolor(["prep", "whatever.mp4", "--out", path("out"), "--size", "100"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertNil(oneLineErrorProblem(result))
        XCTAssertTrue(result.stderr.contains("multiple of 128"), result.stderr)
    }

    /// Issue 25, cause 8: `prep --out FILE/sub` printed "NSCocoaErrorDomain
    /// error 512". Every command whose output would lie under a file says so in
    /// one line: prep, colorize (a folder and a video), train, report, convert, quickstart.
    func testOutputUnderAFileIsOneClearLine() throws {
        let file = path("notes.txt")
        try "not a directory".write(toFile: file, atomically: true, encoding: .utf8)
        let input = colorizeFixture("input"), model = colorizeFixture("tiny-none.safetensors")
        XCTAssertEqual(try runVcolor(["prep", input, "--out", path("data"), "--min-frames", "2", "--val-fraction", "0"]).status, 0)
        try FileManager.default.createDirectory(atPath: path("run"), withIntermediateDirectories: true)
        try "{\"event\":\"step\",\"step\":1,\"loss_d\":1,\"loss_g\":1}\n".write(toFile: path("run/metrics.jsonl"), atomically: true, encoding: .utf8)
        for arguments in [
            ["prep", input, "--out", file + "/sub"],
            ["colorize", "--model", model, input, "--out", file + "/frames"],
            ["colorize", "--model", model, input, "--out", file + "/out.mp4"],
            ["train", "--data", path("data"), "--run", file + "/run", "--steps", "1", "--base", "2", "--clip", "2", "--batch", "1"],
            ["report", path("run"), "--out", file + "/report.html"],
            ["convert", model, file + "/m.h5"],
            ["quickstart", "--dir", file + "/quickstart"],
        ] {
            let r = try runVcolor(arguments)
            let what = arguments.joined(separator: " ")
            XCTAssertEqual(r.status, 1, what + ": " + r.stderr)
            XCTAssertNil(oneLineErrorProblem(r), what)
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), what + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("notes.txt is a file") || r.stderr.contains("notes.txt is not a directory")
                          || r.stderr.contains("(Not a directory)"), what + ": " + r.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "not a directory")
    }

    /// Issue 25, cause 10: an image folder whose path holds a line break used
    /// to fail naming a temporary `images-….ffconcat` file (ffmpeg's image list
    /// is read line by line). It is prepared like any other folder.
    func testImageFolderWithALineBreakInItsPath() throws {
        let folder = path("scans\n1950")
        try SyntheticMedia.images(folder, source: "testsrc2", count: 10)
        let r = try runVcolor(["prep", folder, "--out", path("out"), "--val-fraction", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(summary["frames"] as? Int, 10, r.stdout)
        XCTAssertEqual(summary["sequences"] as? Int, 1, r.stdout)
    }
}
