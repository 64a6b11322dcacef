import Foundation
import Net
import TestFiles
import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles
import HDF5Kit

/// `vcolor train` under faults (issue 10): stop signals, a rank that hangs
/// alive, poisoned weights, another data set on --resume. Tiny model (base
/// width 2, clips of 2 frames, B = 1) so each run takes seconds.
final class TrainFaultTests: TinyTrainTestCase {

    func data(_ name: String = "data", seed: UInt64 = 7) throws -> String {
        let dir = path(name)
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard, seed: seed)
        return dir
    }

    func checksums(_ output: ProcessOutput) throws -> [String] { try printedChecksums(output) }

    /// Waits up to `seconds` for `process` to end (a broken stop must fail the test, not hang it).
    func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    func files(_ run: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: (run as NSString).appendingPathComponent("checkpoints")))?.sorted() ?? []
    }

    // MARK: - Graceful stop

    /// SIGTERM reaches rank 1 alone after step 3: both ranks stop after step 4
    /// (they learn of it through step 4's all-reduce), rank 0 checkpoints step
    /// 4, one line, status 75; the resumed run ends bit-identical to one never stopped.
    func testSignalOnOneRankStopsEveryRankAndTheResumedRunIsBitExact() throws {
        let data = try data()
        let common = ["--data", data, "--checkpoint-every", "100", "--print-checksum", "--bucket-mb", "0.01"]
        let stopped = try train(common + ["--run", path("stopped"), "--steps", "50",
                                          "--kill-rank", "1", "--kill-signal", "TERM", "--kill-at-step", "3"], ranks: 2)
        XCTAssertEqual(stopped.status, 75, stopped.stderr)
        let lines = stopped.stderr.split(separator: "\n").filter { $0.contains("stopped at step") }
        XCTAssertEqual(lines.map(Self.message), ["stopped at step 4 by SIGTERM; continue with --resume"], stopped.stderr)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("train") }, "one line from the train logger: \(stopped.stderr)")
        XCTAssertEqual(files(path("stopped")), ["step-00000004.h5"], "the stop checkpoint, and no temporary")

        let resumed = try train(common + ["--run", path("stopped"), "--steps", "7", "--resume"], ranks: 2)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let straight = try train(common + ["--run", path("straight"), "--steps", "7"], ranks: 2)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        XCTAssertEqual(try checksums(resumed), try checksums(straight))
        XCTAssertEqual(try checksums(straight).count, 2)
    }

    /// SIGUSR1 to mpirun (what SLURM's --signal=B:USR1 and cluster/slurm.sbatch
    /// send) is forwarded to every rank: the job stops gracefully at whatever
    /// step it was in.
    func testSIGUSR1ToMpirunStopsTheJobWithACheckpoint() throws {
        let data = try data()
        let run = path("run")
        var env = environmentWithoutMPI()
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        let process = Process()
        process.executableURL = try XCTUnwrap(mpirun(), "mpirun is not on PATH")
        process.arguments = ["-np", "2", "--oversubscribe", vcolorBinary().path, "train"] + tiny
            + ["--data", data, "--run", run, "--steps", "100000", "--checkpoint-every", "100000"]
        process.environment = env
        let errURL = URL(fileURLWithPath: path("stderr"))
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let metrics = (run as NSString).appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning,
              ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").components(separatedBy: "\"event\":\"step\"").count < 3 {
            usleep(50_000)
        }
        guard process.isRunning else { return XCTFail("the run ended before two steps") }
        kill(process.processIdentifier, SIGUSR1)
        let end = Date().addingTimeInterval(30)
        while process.isRunning && Date() < end { usleep(50_000) }
        guard !process.isRunning else { return XCTFail("mpirun did not end within 30 s of SIGUSR1") }
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 75, stderr)
        let line = try XCTUnwrap(stderr.split(separator: "\n").first { $0.contains("stopped at step") }, stderr)
        let step = try XCTUnwrap(Int(Self.message(line).split(separator: " ")[3]), String(line))
        XCTAssertEqual(Self.message(line), "stopped at step \(step) by SIGUSR1; continue with --resume")
        XCTAssertEqual(files(run), [String(format: "step-%08d.h5", step)])
        XCTAssertEqual(try XCTUnwrap(ModelFile.open(CheckpointDirectory(run: run).path(step: step)).training).step, step)
    }

    /// Alone (no mpirun): SIGTERM stops gracefully; a second signal while the
    /// first is pending ends the process at once, by that signal.
    func testOneProcessStopsOnSIGTERMAndASecondSignalStopsAtOnce() throws {
        let data = try data()
        let graceful = try train(["--data", data, "--run", path("one"), "--steps", "50", "--checkpoint-every", "100",
                                  "--kill-rank", "0", "--kill-signal", "TERM", "--kill-at-step", "2"])
        XCTAssertEqual(graceful.status, 75, graceful.stderr)
        XCTAssertTrue(graceful.stderr.contains("train: stopped at step 3 by SIGTERM; continue with --resume"), graceful.stderr)
        XCTAssertEqual(files(path("one")), ["step-00000003.h5"])

        // Two signals in a row while training (two of one kind could merge into
        // one pending signal; SIGINT and SIGTERM cannot).
        let process = Process()
        process.executableURL = vcolorBinary()
        process.arguments = ["train"] + tiny + ["--data", data, "--run", path("twice"), "--steps", "100000"]
        process.environment = environmentWithoutMPI()
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let metrics = (path("twice") as NSString).appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").isEmpty {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGTERM)
        guard waitForExit(process, seconds: 30) else { return XCTFail("train did not end within 30 s of two signals") }
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertTrue([SIGINT, SIGTERM].contains(process.terminationStatus), "\(process.terminationStatus)")
    }

    // MARK: - One writer per run directory

    /// A second train into a live run is refused, naming the first's process
    /// id; the first is not disturbed (it then stops gracefully on SIGTERM).
    func testSecondTrainIntoALiveRunIsRefused() throws {
        let data = try data()
        let run = path("run")
        let first = Process()
        first.executableURL = vcolorBinary()
        first.arguments = ["train"] + tiny + ["--data", data, "--run", run, "--steps", "100000", "--checkpoint-every", "100000"]
        first.environment = environmentWithoutMPI()
        first.standardError = FileHandle.nullDevice
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let metrics = (run as NSString).appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, first.isRunning, ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").isEmpty {
            usleep(20_000)
        }
        let second = try train(["--data", data, "--run", run, "--steps", "2", "--resume"])
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("in use by another vcolor train (pid \(first.processIdentifier))"), second.stderr)
        XCTAssertTrue(first.isRunning)
        kill(first.processIdentifier, SIGTERM)
        guard waitForExit(first, seconds: 30) else { return XCTFail("train did not stop within 30 s of SIGTERM") }
        XCTAssertEqual(first.terminationStatus, 75)
        // The lock went with the process: the run resumes.
        let resumed = try train(["--data", data, "--run", run, "--steps", String(CheckpointDirectory(run: run).checkpoints().last!.step + 1), "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    // MARK: - A rank that hangs alive

    /// Rank 1 stops itself (SIGSTOP) after step 3: rank 0 waits in step 4's
    /// first all-reduce until the deadline, finds rank 1 missing and ends the
    /// job with a message naming both; the checkpoint of step 2 is intact.
    func testStoppedRankEndsTheJobAtTheCollectiveDeadline() throws {
        let data = try data()
        let run = path("run")
        let began = Date()
        let result = try train(["--data", data, "--run", run, "--steps", "50", "--checkpoint-every", "2",
                                "--collective-timeout", "3", "--kill-rank", "1", "--kill-signal", "STOP", "--kill-at-step", "3"],
                               ranks: 2, timeout: 90)
        let elapsed = Date().timeIntervalSince(began)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("collective deadline passed"), result.stderr)
        XCTAssertTrue(result.stderr.contains("during step 4"), result.stderr)
        XCTAssertTrue(result.stderr.contains("rank(s) 1 did not arrive"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--collective-timeout 3"), result.stderr)
        // Start-up and 3 steps take a few seconds; then 3 s of deadline, ≤ 1.5 s of roll call, mpirun's teardown.
        XCTAssertLessThan(elapsed, 45, result.stderr)
        let newest = try XCTUnwrap(CheckpointDirectory(run: run).newestComplete())
        XCTAssertEqual(newest.step, 2)
    }

    func testCollectiveTimeoutIsRangeChecked() throws {
        for bad in ["0", "nan", "-5", "1e300"] {
            let result = try train(["--data", try data(), "--run", path("run"), "--steps", "1", "--collective-timeout=\(bad)"])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("Error: --collective-timeout must be a number of seconds in 1…10000000"), result.stderr)
        }
    }

    // MARK: - Shards of the wrong type

    /// A shard whose `lab` is float32 (HDF5 would convert it to uint8 without
    /// a word) is refused before training, naming the sequence and the type.
    func testFloatShardIsRefused() throws {
        let data = try data()
        let shard = (data as NSString).appendingPathComponent("shard-00000.h5")
        try FileManager.default.removeItem(atPath: shard)
        let file = try HDF5File.create(shard)
        try file.root.setAttribute("format", "vcolor-shard")
        try file.root.setAttribute("version", 1)
        try file.root.setAttribute("height", 128)
        try file.root.setAttribute("width", 128)
        try file.root.setAttribute("encoding", "lab8")
        for (i, frames) in [4, 5, 4, 4, 4].enumerated() {
            let dataset = try file.root.createDataset(String(format: "sequences/%05d/lab", i), of: Float.self,
                                                      shape: [frames, 3, 128, 128])
            let values = [Float](repeating: 100, count: frames * 3 * 128 * 128)
            try values.withUnsafeBufferPointer { try dataset.write($0) }
            dataset.close()
        }
        try file.close()
        let result = try train(["--data", data, "--run", path("run"), "--steps", "1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("sequence 00000: lab is float32, expected uint8"), result.stderr)
    }

    // MARK: - Another data set on --resume

    func testResumeOnAnotherDataSetIsAnErrorUnlessAllowed() throws {
        let first = try data("a", seed: 7)
        let run = path("run")
        XCTAssertEqual(try train(["--data", first, "--run", run, "--steps", "1"]).status, 0)
        // Same layout, other frame counts: the fingerprint differs.
        let other = path("b")
        try TinyDataSet.write(to: other, sequences: [.init(frames: 6, split: "train"), .init(frames: 5, split: "train"),
                                                     .init(frames: 4, split: "train"), .init(frames: 4, split: "val"),
                                                     .init(frames: 4, split: "train")])
        let refused = try train(["--data", other, "--run", run, "--steps", "2", "--resume"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("was trained on another data set"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--allow-data-change"), refused.stderr)
        let allowed = try train(["--data", other, "--run", run, "--steps", "2", "--resume", "--allow-data-change"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stderr.contains("warning"), allowed.stderr)
        // The new checkpoint records b: b resumes without a word, a is now the foreign one.
        let again = try train(["--data", other, "--run", run, "--steps", "3", "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(again.stderr.contains("another data set"), again.stderr)
        XCTAssertEqual(try train(["--data", first, "--run", run, "--steps", "4", "--resume"]).status, 1)
    }

    /// A log line without its `label[ rank r/n]: ` prefix.
    static func message(_ line: Substring) -> String {
        guard let colon = line.range(of: ": ") else { return String(line) }
        return String(line[colon.upperBound...])
    }
}
