import Foundation
import TestFiles
import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles

/// Two "hosts" of `cluster/testbed.sh` (network + UTS namespaces on a veth
/// bridge), with `mpirun` starting its daemons through the testbed's rsh
/// agent and ranks talking over TCP only, as on a cluster. Needs root and
/// network namespaces; elsewhere the tests skip and say why. Every test takes
/// its testbed down again, also when it fails.
final class NetworkTests: XCTestCase {
    var root: String!
    var testbed: Testbed!
    let tiny = ["--base", "2", "--clip", "2", "--log-level", "quiet"]

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-net-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        testbed?.down()
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func standardData() throws -> String {
        let dir = path("data")
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard)
        return dir
    }

    /// Brings up a two-host testbed or skips the test.
    func twoHosts() throws -> Testbed {
        let t = try Testbed.up(hosts: 2)
        testbed = t
        return t
    }

    func checksums(_ output: ProcessOutput) throws -> [String] { try printedChecksums(output) }

    // MARK: -

    func testDoctorPassesAcrossTwoHostsOverTCP() throws {
        let t = try twoHosts()
        let data = try standardData()
        let result = try t.launch(["doctor", "--json", "--megabytes", "8", "--repeats", "1", "--data", data], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["ok"] as? Bool, true, result.stdout)
        XCTAssertEqual(report?["size"] as? Int, 2)
        XCTAssertEqual(report?["nodes"] as? Int, 2, "each host has its own host name, so MPI sees two nodes")
        let ranks = try XCTUnwrap(report?["ranks"] as? [[String: Any]])
        XCTAssertEqual(Set(ranks.compactMap { $0["host"] as? String }), ["\(t.name)-h1", "\(t.name)-h2"])
        for r in ranks {
            XCTAssertEqual(r["localSize"] as? Int, 1, "one rank per host")
            XCTAssertEqual(r["bf16Mismatches"] as? Int, 0)
            XCTAssertEqual(r["progressedBuckets"] as? Int, r["progressBuckets"] as? Int,
                           "the progress thread finishes buckets over TCP while the ranks compute")
            XCTAssertNotNil(r["dataIndex"] as? String)
        }
        XCTAssertEqual(Set(ranks.compactMap { $0["dataIndex"] as? String }).count, 1, "both hosts read the same index.json")
        XCTAssertEqual(report?["replicasIdentical"] as? Bool, true)
    }

    /// bf16 halves the bytes the timed all-reduce puts on the wire: host 2's
    /// sent bytes, less those of a run without the timed all-reduce.
    func testBF16HalvesTheBytesOnTheWire() throws {
        let t = try twoHosts()
        func sent(_ extra: [String]) throws -> Double {
            let before = try t.bytesSent(host: 2)
            let result = try t.launch(["doctor", "--repeats", "1"] + extra, timeout: 120)
            XCTAssertEqual(result.status, 0, result.stderr)
            return Double(try t.bytesSent(host: 2) - before)
        }
        let base = try sent(["--megabytes", "0"])
        let fp32 = try sent(["--megabytes", "40", "--allreduce-precision", "fp32"]) - base
        let bf16 = try sent(["--megabytes", "40", "--allreduce-precision", "bf16"]) - base
        XCTAssertGreaterThan(fp32, 40e6, "a warm-up and a timed all-reduce of 40 MB each leave host 2")
        XCTAssertEqual(bf16 / fp32, 0.5, accuracy: 0.05, "fp32 \(fp32) B, bf16 \(bf16) B beyond the \(base) B of the checks")
    }

    /// The same training over TCP between two hosts and over shared memory
    /// on one: identical replicas, identical to each other. bf16 averaging
    /// keeps replicas identical too (and changes the result).
    func testTrainingOverTCPMatchesSharedMemory() throws {
        let t = try twoHosts()
        let data = try standardData()
        for precision in ["fp32", "bf16"] {
            let args = ["train"] + tiny + ["--data", data, "--steps", "3", "--batch", "1", "--print-checksum",
                                          "--bucket-mb", "0.01", "--allreduce-precision", precision]
            let tcp = try t.launch(args + ["--run", path("tcp-\(precision)")], timeout: 240)
            XCTAssertEqual(tcp.status, 0, tcp.stderr)
            let shm = try runUnderMPI(ranks: 2, args + ["--run", path("shm-\(precision)")], timeout: 240)
            XCTAssertEqual(shm.status, 0, shm.stderr)
            let overTCP = try checksums(tcp), overSHM = try checksums(shm)
            XCTAssertEqual(overTCP.count, 2)
            XCTAssertEqual(overTCP[0], overTCP[1], "\(precision): replicas diverged over TCP")
            XCTAssertEqual(overTCP, overSHM, "\(precision): TCP and shared memory trained different models")
        }
        let fp32 = try String(contentsOfFile: path("tcp-fp32/metrics.jsonl"), encoding: .utf8)
        let bf16 = try String(contentsOfFile: path("tcp-bf16/metrics.jsonl"), encoding: .utf8)
        XCTAssertNotEqual(fp32.split(separator: "\n").last, bf16.split(separator: "\n").last,
                          "bf16 averaging left no trace: was --allreduce-precision ignored?")
    }

    /// A host whose processes all die mid-run (a crashed node): the job ends
    /// with an error within seconds, nothing keeps running on the other
    /// host, and the newest checkpoint resumes.
    func testKilledHostEndsTheJobAndTheNewestCheckpointResumes() throws {
        let t = try twoHosts()
        let (job, data, run) = try trainUntilFirstCheckpoint(t, steps: 1000)
        let killedAt = Date()
        try t.kill(host: 2)
        let result = try job.finish(timeout: 60)
        XCTAssertNotEqual(result.status, 0, "a job that lost a host must fail")
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 60)
        XCTAssertEqual(processesLeft(t, within: 5), [], "still running after the job ended")  // a few seconds to exit, no more
        try assertNewestCheckpointResumes(t, data: data, run: run)
    }

    /// A host whose cable is pulled mid-run: no connection closes, so the
    /// job ends only because `launch.sh -k` makes mpirun probe its daemons'
    /// connections (TCP keepalive) and give the silent host up; without it
    /// the job ran on for minutes (docs/cluster.md). Nothing keeps running
    /// on either host, and once the cable is back the newest checkpoint resumes.
    func testPulledCableEndsTheJobAndTheNewestCheckpointResumes() throws {
        let t = try twoHosts()
        let (job, data, run) = try trainUntilFirstCheckpoint(t, steps: 100_000, keepalive: 4)
        let pulledAt = Date()
        try t.link(host: 2, up: false)
        let result = try job.finish(timeout: 90)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(pulledAt), 90)
        XCTAssertTrue(result.stderr.contains("lost communication") || result.stderr.contains("collective deadline"),
                      result.stderr)
        // Host 2's daemon loses mpirun the same way and takes its rank with it.
        XCTAssertEqual(processesLeft(t, within: 30), [], "still running 30 s after the job ended")
        try t.link(host: 2, up: true)
        try assertNewestCheckpointResumes(t, data: data, run: run)
    }

    /// A training job of `steps` across both hosts (a checkpoint every two steps,
    /// the newest two kept), returned once its first checkpoint is complete.
    func trainUntilFirstCheckpoint(_ t: Testbed, steps: Int, keepalive: Int = 20) throws -> (job: BackgroundProcess, data: String, run: String) {
        let data = try standardData()
        let run = path("run")
        let dir = CheckpointDirectory(run: run)
        let args = ["train"] + tiny + ["--data", data, "--run", run, "--steps", String(steps), "--batch", "1",
                                       "--checkpoint-every", "2", "--keep", "2"]
        let job = try t.start(args, keepalive: keepalive)
        try waitFor(timeout: 180, "a first checkpoint") { (try? dir.newestComplete()) != nil }
        return (job, data, run)
    }

    /// The vcolor processes still on either host after waiting up to `seconds` for them to exit.
    func processesLeft(_ t: Testbed, within seconds: Int) -> [String] {
        var left = t.processes(host: 1) + t.processes(host: 2)
        for _ in 0..<(seconds * 10) where !left.isEmpty {
            usleep(100_000)
            left = t.processes(host: 1) + t.processes(host: 2)
        }
        return left
    }

    /// After a fault: the newest complete checkpoint of `run` resumes across both hosts for two more steps.
    func assertNewestCheckpointResumes(_ t: Testbed, data: String, run: String) throws {
        let dir = CheckpointDirectory(run: run)
        let newest = try XCTUnwrap(dir.newestComplete())
        let resumed = try t.launch(["train"] + tiny + ["--data", data, "--run", run, "--steps", String(newest.step + 2),
                                                       "--batch", "1", "--resume", "--checkpoint-every", "2", "--keep", "2"],
                                   timeout: 240)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try dir.newestComplete()?.step, newest.step + 2)
    }

    func waitFor(timeout: TimeInterval, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(100_000)
        }
        XCTFail("no \(what) within \(Int(timeout)) s")
        throw XCTSkip("gave up waiting for \(what)")
    }
}

/// A testbed of `cluster/testbed.sh` under a name of its own.
final class Testbed {
    let name: String
    let script: String
    let hosts: Int
    private var isUp = true

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private init(name: String, hosts: Int) {
        self.name = name
        self.hosts = hosts
        script = Testbed.repository.appendingPathComponent("cluster/testbed.sh").path
    }

    /// Creates `hosts` hosts (a Slurm cluster of them with `slurm`), or skips the test with the reason.
    static func up(hosts: Int, slurm: Bool = false) throws -> Testbed {
        let t = Testbed(name: "vt" + String(UInt32.random(in: 0...0xFFFFF), radix: 16), hosts: hosts)
        let check = try t.script(["check"])
        guard check.status == 0 else {
            throw XCTSkip("no network namespaces here (\(check.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        _ = try XCTUnwrap(mpirun(), "mpirun is not on PATH (apt install openmpi-bin)")
        if slurm {
            let slurmCheck = try runProcess(repository.appendingPathComponent("cluster/testbed-slurm.sh"), ["check"], timeout: 10)
            guard slurmCheck.status == 0 else {
                throw XCTSkip("no Slurm here (\(slurmCheck.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            }
        }
        let up = try t.script(["up", String(hosts)] + (slurm ? ["--slurm"] : []))
        guard up.status == 0 else {
            t.down()
            throw XCTSkip("testbed did not come up: \(up.stderr)")
        }
        return t
    }

    func script(_ args: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 60) throws -> ProcessOutput {
        var env = environmentWithoutMPI().merging(extra) { $1 }
        env["VCOLOR_TESTBED"] = name
        return try runProcess(URL(fileURLWithPath: script), args, environment: env, timeout: timeout)
    }

    /// A Slurm command (sbatch, scontrol, …) on the testbed's login node.
    func slurm(_ args: [String], environment extra: [String: String] = [:]) throws -> ProcessOutput {
        try script(["slurm"] + args, environment: extra)
    }

    /// The testbed's state directory, which `down` removes.
    var stateDirectory: String { "/run/vcolor-testbed-\(name)" }

    /// `cluster/launch.sh` on host 1: one rank per host, TCP only, on the testbed's network.
    func launchCommand(_ vcolorArgs: [String], keepalive: Int = 20) throws -> [String] {
        let launch = Testbed.repository.appendingPathComponent("cluster/launch.sh").path
        return ["run", "1", "--", "/bin/sh", "-c", "exec \"$0\" -H \"$VCOLOR_TESTBED_HOSTFILE\" \"$@\"", launch,
                "-t", "-N", "-c", "1", "-k", String(keepalive), "-i", "198.18.0.0/24", "-b", try vcolorBinary().path, "--"]
            + vcolorArgs
    }

    func launch(_ vcolorArgs: [String], timeout: TimeInterval) throws -> ProcessOutput {
        try script(try launchCommand(vcolorArgs), timeout: timeout)
    }

    /// Starts a job in the background.
    func start(_ vcolorArgs: [String], keepalive: Int = 20) throws -> BackgroundProcess {
        var env = environmentWithoutMPI()
        env["VCOLOR_TESTBED"] = name
        return try BackgroundProcess(URL(fileURLWithPath: script), try launchCommand(vcolorArgs, keepalive: keepalive),
                                     environment: env)
    }

    func kill(host: Int) throws { _ = try script(["kill", String(host)]) }
    func link(host: Int, up: Bool) throws { _ = try script(["link", String(host), up ? "up" : "down"]) }

    func bytesSent(host: Int) throws -> Int {
        let out = try script(["bytes", String(host)])
        return try XCTUnwrap(Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), out.stderr)
    }

    /// Processes on `host` other than its holder (ranks, orted, mpirun).
    func processes(host: Int) -> [String] {
        guard let out = try? runProcess(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "pids", "\(name)-h\(host)"], timeout: 10)
        else { return [] }
        let holder = (try? String(contentsOfFile: "\(stateDirectory)/host\(host).pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return out.stdout.split(separator: "\n").map(String.init).filter { $0 != holder }.map { pid in
            ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? pid).replacingOccurrences(of: "\0", with: " ")
        }
    }

    func killAll() { for h in 1...hosts { try? kill(host: h) } }

    func down() {
        guard isUp else { return }
        _ = try? script(["down"])
        isUp = false
    }

    deinit { down() }
}

/// A process left running while the test acts on it.
final class BackgroundProcess {
    let process = Process()
    let dir: URL
    let out: FileHandle, err: FileHandle

    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("stdout").path, contents: nil)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("stderr").path, contents: nil)
        out = try FileHandle(forWritingTo: dir.appendingPathComponent("stdout"))
        err = try FileHandle(forWritingTo: dir.appendingPathComponent("stderr"))
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits up to `timeout` s; a process still running is killed and the test fails.
    func finish(timeout: TimeInterval) throws -> ProcessOutput {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let stillRunning = process.isRunning
        if stillRunning {
            process.terminate()
            usleep(2_000_000)
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? out.close(); try? err.close()
        let stdout = (try? String(contentsOf: dir.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: dir.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: dir)
        if stillRunning { XCTFail("still running after \(Int(timeout)) s: \(stderr)") }
        return ProcessOutput(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
