import Foundation
import TestFiles
import TestSupport
import XCTest

/// `cluster/slurm.sbatch` under a real Slurm (Debian's slurmctld, slurmd and
/// munge) on the hosts of `cluster/testbed.sh up N --slurm`: submitted with
/// `sbatch` on the testbed's login node exactly as on a cluster; only
/// resource options a user would give on the command line differ (the
/// testbed's nodes have 2 cores). Needs root, network namespaces and the
/// Slurm packages; elsewhere the tests skip and say why. Every test takes its
/// testbed down again, also when it fails.
final class SlurmTests: XCTestCase {
    var root: String!
    var testbed: Testbed?
    let tiny = ["--base", "2", "--clip", "2", "--batch", "1", "--log-level", "info"]
    /// One rank per node with both of its cores, as a user would fill a node.
    let perNode = ["--ntasks-per-node=1", "--cpus-per-task=2"]

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    override func tearDownWithError() throws {
        testbed?.down()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func slurmTestbed(hosts: Int) throws -> Testbed {
        let t = try Testbed.up(hosts: hosts, slurm: true)
        testbed = t
        return t
    }

    // MARK: -

    /// `up --slurm` starts munged, slurmctld and a slurmd per host, whose
    /// nodes are idle and run a step across both hosts; `down` leaves no
    /// daemon, no state directory and no namespace behind.
    func testSlurmTestbedComesUpAndDownLeavingNothingBehind() throws {
        let t = try slurmTestbed(hosts: 2)
        let nodes = try t.slurm(["sinfo", "-h", "-N", "-o", "%N %T"])
        XCTAssertEqual(nodes.stdout.split(separator: "\n").map(String.init), ["\(t.name)-h1 idle", "\(t.name)-h2 idle"], nodes.stderr)
        let step = try t.slurm(["srun", "-N2", "--ntasks-per-node=1", "hostname"])
        XCTAssertEqual(step.status, 0, step.stderr)
        XCTAssertEqual(Set(step.stdout.split(separator: "\n").map(String.init)), ["\(t.name)-h1", "\(t.name)-h2"],
                       "each task runs on its own host")
        let daemons = processes(mentioning: t.stateDirectory)
        for daemon in ["munged", "slurmctld", "slurmd"] {
            XCTAssertTrue(daemons.contains { $0.contains(daemon) }, "no \(daemon) among \(daemons)")
        }
        XCTAssertEqual(daemons.filter { $0.contains("slurmd ") }.count, 2, "one slurmd per host: \(daemons)")

        t.down()
        XCTAssertEqual(processes(mentioning: t.stateDirectory), [], "daemons left running")
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.stateDirectory), "state left in /run")
        let namespaces = try runProcess(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "list"], timeout: 10)
        XCTAssertEqual(namespaces.stdout.split(separator: "\n").filter { $0.hasPrefix("\(t.name)-") }, [], "namespaces left")
    }

    /// A tiny training submitted with `sbatch cluster/slurm.sbatch` across two
    /// nodes (mpirun inside the allocation, after the script's doctor)
    /// completes, and trains the same model as two ranks on one machine.
    func testSbatchTrainsAcrossTwoNodes() throws {
        let t = try slurmTestbed(hosts: 2)
        let data = try standardData()
        let args = tiny + ["--data", data, "--run", path("run"), "--steps", "3", "--print-checksum"]
        let job = try submit(t, ["-N2"] + perNode, args)
        let end = try waitForEnd(t, job, timeout: 120)
        XCTAssertEqual(end["JobState"], "COMPLETED", jobLog(job))
        XCTAssertEqual(end["ExitCode"], "0:0")
        let slurm = try printedChecksums(ProcessOutput(status: 0, stdout: try output(job), stderr: ""))
        let local = try runTrain(tiny + ["--data", data, "--run", path("local"), "--steps", "3", "--print-checksum"],
                                 ranks: 2, timeout: 120)
        XCTAssertEqual(local.status, 0, local.stderr)
        XCTAssertEqual(slurm.count, 2)
        XCTAssertEqual(slurm, try printedChecksums(local), "Slurm's two nodes trained another model")
        XCTAssertTrue(jobLog(job).contains("on \(t.name)-h[1-2] (2 nodes x 1 ranks)"), jobLog(job))
    }

    /// A job reaching its time limit: Slurm's warning signal (`--signal=B:USR1@60`
    /// with `--time=1`: at its first time-limit check, within 30 s) reaches the
    /// script, which forwards it through mpirun; training stops with a
    /// checkpoint, exits 75, the script requeues the job, and the requeued job
    /// resumes and ends bit-identical to the same job never interrupted, which
    /// runs at the same time on two other nodes (so both share the machine's
    /// cores alike and the interrupted one is surely still training when signalled).
    func testTimeLimitRequeuesAndTheJobResumesBitExactly() throws {
        let t = try slurmTestbed(hosts: 4)
        let data = try standardData()
        func args(_ run: String) -> [String] {
            tiny + ["--data", data, "--run", path(run), "--steps", "250", "--checkpoint-every", "50", "--print-checksum"]
        }
        let limited = try submit(t, ["-N2", "--time=1", "--signal=B:USR1@60"] + perNode, args("limited"))
        let straight = try submit(t, ["-N2", "--time=10"] + perNode, args("straight"))

        // Every requeue after a stop in training gets the job more time, so that it ends.
        var restarts = 0
        let deadline = Date().addingTimeInterval(240)
        var state = try job(t, limited)
        while !["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"].contains(state["JobState"] ?? ""), Date() < deadline {
            if let r = Int(state["Restarts"] ?? ""), r > restarts {
                restarts = r
                if jobLog(limited).contains("by SIGUSR1") {
                    XCTAssertEqual(try t.slurm(["scontrol", "update", "JobId=\(limited)", "TimeLimit=10"]).status, 0)
                }
            }
            usleep(300_000)
            state = try job(t, limited)
        }
        let log = jobLog(limited)
        XCTAssertEqual(state["JobState"], "COMPLETED", log)
        XCTAssertGreaterThanOrEqual(restarts, 1, "never requeued: \(log)")
        let stops = log.split(separator: "\n").filter { $0.contains("stopped at step") }
        XCTAssertEqual(stops.count, 1, log)
        XCTAssertTrue(stops.first?.hasSuffix("by SIGUSR1; continue with --resume") == true, log)
        XCTAssertTrue(log.contains("): training stopped with a checkpoint; requeueing"), log)
        XCTAssertTrue(log.contains("(restart \(restarts)): resuming from the newest checkpoint"), log)
        XCTAssertTrue(log.contains("(restart \(restarts)): training ended with status 0"), log)

        let end = try waitForEnd(t, straight, timeout: 120)
        XCTAssertEqual(end["JobState"], "COMPLETED", jobLog(straight))
        XCTAssertEqual(end["Restarts"], "0")
        let resumed = try printedChecksums(ProcessOutput(status: 0, stdout: try output(limited), stderr: ""))
        XCTAssertEqual(resumed.count, 2)
        XCTAssertEqual(resumed, try printedChecksums(ProcessOutput(status: 0, stdout: try output(straight), stderr: "")),
                       "the requeued job did not resume bit-exactly")
    }

    // MARK: - Jobs

    func standardData() throws -> String {
        let dir = path("data")
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard)
        return dir
    }

    /// `sbatch OPTIONS cluster/slurm.sbatch ARGS` from the scratch directory; the job's id.
    func submit(_ t: Testbed, _ options: [String], _ args: [String]) throws -> Int {
        let script = Testbed.repository.appendingPathComponent("cluster/slurm.sbatch").path
        // What a user's environment holds: the binary, and mpirun's permission to run as root (CI runs as root).
        let env = ["VCOLOR": vcolorBinary().path, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
        let out = try t.slurm(["sbatch", "--parsable", "--chdir=\(root!)"] + options + [script] + args, environment: env)
        XCTAssertEqual(out.status, 0, out.stderr)
        return try XCTUnwrap(Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), out.stdout + out.stderr)
    }

    /// `scontrol show job`'s fields (JobState, Restarts, ExitCode, …).
    func job(_ t: Testbed, _ id: Int) throws -> [String: String] {
        let out = try t.slurm(["scontrol", "show", "job", "-o", String(id)])
        XCTAssertEqual(out.status, 0, out.stderr)
        var fields: [String: String] = [:]
        for field in out.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = field.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        return fields
    }

    func waitForEnd(_ t: Testbed, _ id: Int, timeout: TimeInterval) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        var fields = try job(t, id)
        while ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED"].contains(fields["JobState"] ?? ""), Date() < deadline {
            usleep(300_000)
            fields = try job(t, id)
        }
        return fields
    }

    /// The job's stdout (vcolor-ID.out: doctor's report, then the checksums) and stderr (its story).
    func output(_ id: Int) throws -> String { try String(contentsOfFile: path("vcolor-\(id).out"), encoding: .utf8) }
    func jobLog(_ id: Int) -> String { (try? String(contentsOfFile: path("vcolor-\(id).err"), encoding: .utf8)) ?? "" }

    /// Command lines of running processes that name `text` (the testbed's daemons name its state directory).
    func processes(mentioning text: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
            let line = cmdline.replacingOccurrences(of: "\0", with: " ")
            return line.contains(text) ? line : nil
        }
    }
}
