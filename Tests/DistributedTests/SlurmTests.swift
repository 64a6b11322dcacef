import Foundation
import TestFiles
import TestSupport
import XCTest
@testable import ModelFiles

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
        let job = try submit(t, ["-N2"] + perNode, args, doctorMegabytes: nil)
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
    /// checkpoint at step k, exits 75, the script requeues the job, and the
    /// requeued job resumes from step k. Its first checkpoint after k, at step
    /// m, holds the same weights as m steps never interrupted. That reference
    /// trains while the requeued job is held (it would wait for `cred_expire`
    /// anyway), so that the two never share the cores. The job is given more
    /// steps than it can take before the signal, however fast the machine,
    /// and cancelled once step m is written.
    func testTimeLimitRequeuesAndTheJobResumesBitExactly() throws {
        let t = try slurmTestbed(hosts: 2)
        let data = try standardData()
        let run = path("limited")
        let id = try submit(t, ["-N2", "--time=1", "--signal=B:USR1@60"] + perNode,
                             tiny + ["--data", data, "--run", run, "--steps", "1000000", "--checkpoint-every", "10", "--keep", "0"])

        // Requeued after a stop in training: held, and given time, so that no second signal comes.
        // A signal that came before training could catch it (during the doctor, or while the
        // ranks started: a loaded machine) requeues the job without a stop; the next one stops it.
        var stop: (step: Int, restart: Int)?
        var state = try job(t, id)
        let deadline = Date().addingTimeInterval(150)
        while stop == nil, !ended(state), Date() < deadline {
            if let k = stopStep(jobLog(id)), let r = stoppedRestart(jobLog(id)), Int(state["Restarts"] ?? "") ?? 0 > r {
                stop = (k, r)
                XCTAssertEqual(try t.slurm(["scontrol", "hold", String(id)]).status, 0)
                XCTAssertEqual(try t.slurm(["scontrol", "update", "JobId=\(id)", "TimeLimit=10"]).status, 0)
            }
            usleep(300_000)
            state = try job(t, id)
        }
        let (k, r) = try XCTUnwrap(stop, "never stopped by SIGUSR1 and requeued (\(state["JobState"] ?? "?")): \(jobLog(id))")

        // m steps in one go, to the first periodic checkpoint after k; then the job's.
        let m = (k / 10 + 1) * 10
        let straight = try runTrain(tiny + ["--data", data, "--run", path("straight"), "--steps", String(m), "--print-checksum"],
                                    ranks: 2, timeout: 240)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        XCTAssertEqual(try t.slurm(["scontrol", "release", String(id)]).status, 0)
        let dir = CheckpointDirectory(run: run)
        var resumed: (step: Int, path: String)?
        let released = Date()
        while resumed == nil, Date().timeIntervalSince(released) < 90 {
            resumed = dir.checkpoints().first { $0.step > k }
            usleep(200_000)
        }
        let atStep = try XCTUnwrap(resumed, "the requeued job wrote no checkpoint after step \(k): \(jobLog(id))")
        XCTAssertEqual(try t.slurm(["scancel", String(id)]).status, 0)
        XCTAssertEqual(atStep.step, m)
        XCTAssertTrue(jobLog(id).contains("(restart \(r + 1)): resuming from the newest checkpoint"), jobLog(id))
        XCTAssertTrue(jobLog(id).contains("resuming from \(dir.path(step: k))"), jobLog(id))

        // Its weights: step m's checkpoint alone, resumed for no step; against m steps in one go.
        let alone = CheckpointDirectory(run: path("step-m"))
        try FileManager.default.createDirectory(atPath: alone.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: atStep.path, toPath: alone.path(step: m))
        let atM = try runTrain(tiny + ["--data", data, "--run", path("step-m"), "--steps", String(m), "--resume", "--print-checksum"],
                               ranks: 1, timeout: 60)
        XCTAssertEqual(atM.status, 0, atM.stderr)
        let reference = try printedChecksums(straight)
        XCTAssertEqual(reference.count, 2)
        XCTAssertEqual(try printedChecksums(atM), [reference[0]], "stopped at \(k), resumed to \(m): not bit-exact")
    }

    /// `scontrol requeue` of a running job: Slurm sends SIGTERM to all of
    /// the job's processes; the script waits for training to end, says so in
    /// one line and leaves the rest to Slurm, which starts the job again. The
    /// requeued job resumes from a checkpoint no older than the newest one
    /// written before the requeue (the one written on SIGTERM when the ranks
    /// finish it within Open MPI's 1 s grace, else the newest periodic one)
    /// and trains to its last step.
    func testScontrolRequeueResumesFromACheckpointAndFinishes() throws {
        let (t, id, dir, before) = try jobPastItsFirstCheckpoint(nodes: 2)
        XCTAssertEqual(try t.slurm(["scontrol", "requeue", String(id)]).status, 0)

        let end = try waitForEnd(t, id, timeout: 120)
        XCTAssertEqual(end["JobState"], "COMPLETED", jobLog(id))
        XCTAssertEqual(end["Restarts"], "1", jobLog(id))
        let log = jobLog(id)
        XCTAssertTrue(log.contains("(restart 0): training ended with status "), log)
        XCTAssertTrue(log.contains(" after SIGTERM from Slurm"), log)
        XCTAssertFalse(log.contains("(restart 0): training stopped with a checkpoint; requeueing"),
                       "the script requeued a job Slurm had requeued already: \(log)")
        XCTAssertTrue(log.contains("(restart 1): resuming from the newest checkpoint"), log)
        let from = try XCTUnwrap(resumedStep(log), log)
        XCTAssertGreaterThanOrEqual(from, before, "resumed from an older checkpoint than step \(before)")
        if let k = stopStep(log, signal: "SIGTERM") { XCTAssertEqual(from, k, "the checkpoint written on SIGTERM was not resumed") }
        XCTAssertTrue(log.contains("(restart 1): training ended with status 0"), log)
        XCTAssertEqual(dir.newestComplete()?.step, 60, "the requeued job did not train to its last step")
    }

    /// A node that dies mid-run (its slurmd, its daemon and its rank killed,
    /// its link down): mpirun ends the job within seconds ("lost communication
    /// with a remote daemon … on node NAME"), long before Slurm declares the
    /// node DOWN; the script requeues the job held, shrunk to the two nodes
    /// left and kept off the dead one, and releases it. Once Slurm has declared
    /// the node DOWN the job starts again on two nodes, resumes from the newest
    /// checkpoint with two ranks instead of three, and trains to its last step.
    func testLostNodeRequeuesTheJobOnTheNodesLeftAndItFinishes() throws {
        let (t, id, dir, before) = try jobPastItsFirstCheckpoint(nodes: 3)
        let killedAt = Date()
        try t.kill(host: 3)
        try t.link(host: 3, up: false)
        let dead = "\(t.name)-h3"
        let lost = "(restart 0): training lost node \(dead) (mpirun status "
        while !jobLog(id).contains(lost), Date().timeIntervalSince(killedAt) < 60 { usleep(200_000) }
        let noticed = Date().timeIntervalSince(killedAt)
        XCTAssertLessThan(noticed, 40, "the lost node was not named within the keepalive's ~35 s: \(jobLog(id))")
        XCTAssertTrue(jobLog(id).contains("node loss 1 of at most 3; requeueing on 2 node(s) without \(dead)"), jobLog(id))

        let end = try waitForEnd(t, id, timeout: 150)
        let log = jobLog(id)
        XCTAssertEqual(end["JobState"], "COMPLETED", log)
        XCTAssertEqual(end["Restarts"], "1", log)
        XCTAssertEqual(end["ExcNodeList"], dead, "the requeued job may land on the dead node")
        XCTAssertTrue(log.contains("(restart 0): on \(t.name)-h[1-3] (3 nodes x 1 ranks)"), log)
        XCTAssertTrue(log.contains("(restart 1): on \(t.name)-h[1-2] (2 nodes x 1 ranks)"), log)
        XCTAssertTrue(log.contains("(restart 1): resuming from the newest checkpoint"), log)
        XCTAssertTrue(log.contains("written by 3 rank(s), resuming with 2"), log)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(resumedStep(log), log), before)
        XCTAssertTrue(log.contains("(restart 1): training ended with status 0"), log)
        XCTAssertEqual(dir.newestComplete()?.step, 60, "the requeued job did not train to its last step")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path(".vcolor-\(id).node-losses")), "the job left its count of node losses")
        print("SlurmTests: lost node named after \(String(format: "%.1f", noticed)) s, job ended \(Int(Date().timeIntervalSince(killedAt))) s after the kill")
    }

    // MARK: - Jobs

    func standardData() throws -> String {
        let dir = path("data")
        try TinyDataSet.write(to: dir, sequences: TinyDataSet.standard)
        return dir
    }

    /// `sbatch OPTIONS cluster/slurm.sbatch ARGS` from the scratch directory; the job's id.
    /// The script's doctor times an all-reduce of `doctorMegabytes` (nil: the
    /// script's default); its checks run either way, and with 0 a job starts
    /// about 5 s sooner on this machine.
    func submit(_ t: Testbed, _ options: [String], _ args: [String], doctorMegabytes: Int? = 0) throws -> Int {
        let script = Testbed.repository.appendingPathComponent("cluster/slurm.sbatch").path
        // What a user's environment holds: the binary, and mpirun's permission to run as root (CI runs as root).
        var env = ["VCOLOR": vcolorBinary().path, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
        if let megabytes = doctorMegabytes { env["VCOLOR_DOCTOR_MB"] = String(megabytes) }
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

    /// Whether `scontrol show job`'s state is final (not PENDING, RUNNING, SIGNALING, REQUEUED, …).
    func ended(_ fields: [String: String]) -> Bool {
        ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"]
            .contains(fields["JobState"] ?? "")
    }

    func waitForEnd(_ t: Testbed, _ id: Int, timeout: TimeInterval) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        var fields = try job(t, id)
        while !ended(fields), Date() < deadline {
            usleep(300_000)
            fields = try job(t, id)
        }
        return fields
    }

    /// The job's stdout (vcolor-ID.out: doctor's report, then the checksums) and stderr (its story).
    func output(_ id: Int) throws -> String { try String(contentsOfFile: path("vcolor-\(id).out"), encoding: .utf8) }
    func jobLog(_ id: Int) -> String { (try? String(contentsOfFile: path("vcolor-\(id).err"), encoding: .utf8)) ?? "" }

    /// k of the log's first `stopped at step k by SIGNAL` line.
    func stopStep(_ log: String, signal: String = "SIGUSR1") -> Int? {
        step(after: "step", inLineWhere: { $0.hasSuffix("by \(signal); continue with --resume") }, log, first: true)
    }

    /// R of the log's `(restart R): training stopped with a checkpoint; requeueing` line.
    func stoppedRestart(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasSuffix("training stopped with a checkpoint; requeueing") }),
              let open = line.range(of: "(restart "), let close = line[open.upperBound...].firstIndex(of: ")")
        else { return nil }
        return Int(line[open.upperBound..<close])
    }

    /// The step of the log's `resuming from PATH (step k, epoch e)` line.
    func resumedStep(_ log: String) -> Int? {
        step(after: "(step", inLineWhere: { $0.contains("resuming from /") }, log)
    }

    func step(after word: Substring, inLineWhere isIt: (Substring) -> Bool, _ log: String, first: Bool = false) -> Int? {
        let lines = log.split(separator: "\n")
        guard let line = first ? lines.first(where: isIt) : lines.last(where: isIt) else { return nil }
        let words = line.split(separator: " ")
        guard let at = words.firstIndex(of: word), at + 1 < words.count else { return nil }
        return Int(words[at + 1].trimmingCharacters(in: CharacterSet(charactersIn: ",")))
    }

    /// A job of 60 steps (a checkpoint every 5) on `nodes` nodes of a testbed
    /// of as many, one rank each, once its first checkpoint is written: the
    /// job has 55 steps to go, more than it takes before the test acts.
    func jobPastItsFirstCheckpoint(nodes: Int) throws -> (Testbed, Int, CheckpointDirectory, Int) {
        let t = try slurmTestbed(hosts: nodes)
        let run = path("run")
        let id = try submit(t, ["-N\(nodes)"] + perNode,
                            tiny + ["--data", try standardData(), "--run", run, "--steps", "60", "--checkpoint-every", "5", "--keep", "0"])
        let dir = CheckpointDirectory(run: run)
        return (t, id, dir, try waitForCheckpoint(dir, timeout: 90, id))
    }

    /// The step of the first complete checkpoint of the job's run.
    func waitForCheckpoint(_ dir: CheckpointDirectory, timeout: TimeInterval, _ id: Int) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let step = dir.newestComplete()?.step { return step }
            usleep(200_000)
        }
        return try XCTUnwrap(nil as Int?, "no checkpoint within \(Int(timeout)) s: \(jobLog(id))")
    }

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
