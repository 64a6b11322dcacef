import Foundation
import TestFiles
import TestSupport
import XCTest

/// Finding a straggler (issue 21): a rank slowed by the operating system
/// while the job runs (a CPU quota on its process, not anything inside
/// vcolor) is named the slowest rank in metrics.jsonl within ten steps and
/// stays named, and `vcolor report` names it the slowest most often.
final class StragglerTests: TinyTrainTestCase {
    /// Two ranks on a small model; once three steps are logged, rank 1 gets at
    /// most 10 % of one CPU and a tenth of a default process's share of busy
    /// CPUs, so it is slowed about tenfold whether the shared machine is idle
    /// or loaded. Base width 8, not the tiny tests' 2: at width 2 a rank
    /// computes for a few milliseconds of a step that spends about 100 ms in
    /// collectives on two loaded cores, so a starved rank is stalled mostly
    /// inside collectives, where its own compute time does not see it.
    func testARankSlowedByACPUQuotaIsNamedWithinTenSteps() throws {
        let steps = 16
        guard let mpirun = mpirun() else { throw XCTSkip("mpirun is not on PATH (apt install openmpi-bin)") }
        let quota = try CPUQuotaGroup(percent: 10, periodMicroseconds: 10_000, weight: 0.1)
        defer { quota.remove() }
        let data = path("data"), run = path("run")
        try TinyDataSet.write(to: data, sequences: TinyDataSet.standard)
        let train = ["train", "--base", "8", "--clip", "2", "--batch", "1", "--log-level", "info",
                     "--data", data, "--run", run, "--steps", "\(steps)", "--checkpoint-every", "1000"]
        let job = try BackgroundProcess(mpirun, ["-np", "2", "--oversubscribe", vcolorBinary().path] + train,
                                        environment: mpirunEnvironment())
        defer { if job.process.isRunning { _ = try? job.finish(timeout: 5) } }
        let metrics = (run as NSString).appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while job.process.isRunning, Date() < deadline, try Self.steps(metrics).count < 3 { usleep(20_000) }
        guard job.process.isRunning else { return XCTFail("the job ended before three steps: \(try job.finish(timeout: 5).stderr)") }
        let rank1 = try XCTUnwrap(Self.rankProcess(1, under: job.process.processIdentifier), "rank 1's process not found")
        try quota.add(rank1)
        // Every step logged by now began before the quota.
        let slowedAfter = try XCTUnwrap(Self.steps(metrics).last, "no step logged within 60 s").step
        let result = try job.finish(timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)

        let after = try Self.steps(metrics).filter { $0.step > slowedAfter }
        XCTAssertLessThanOrEqual(slowedAfter, steps - 10, "too few steps left after the quota")
        XCTAssertEqual(after.last?.step, steps)
        XCTAssertGreaterThan(quota.throttledPeriods() ?? 0, 0, "the quota never held rank 1 back")
        let named = try XCTUnwrap(after.first { $0.slowest == 1 }, "rank 1 was never named the slowest")
        XCTAssertLessThanOrEqual(named.step - slowedAfter, 10, "rank 1 named only at step \(named.step), slowed after step \(slowedAfter)")
        // Once it is named, it stays named (a step the other rank is descheduled in by this shared machine aside).
        let rest = after.filter { $0.step > named.step }
        XCTAssertGreaterThanOrEqual(rest.count, 5)
        XCTAssertGreaterThanOrEqual(rest.filter { $0.slowest == 1 }.count * 10, rest.count * 9,
                                    "rank 1 named in \(rest.filter { $0.slowest == 1 }.count) of \(rest.count) steps after step \(named.step)")
        // And it computed far longer than rank 0, which waited for it in the collectives.
        let ratios = rest.map { $0.compute[1] / $0.compute[0] }.sorted()
        let medianRatio = try XCTUnwrap(ratios.dropFirst(ratios.count / 2).first, "no steps after rank 1 was named")
        XCTAssertGreaterThan(medianRatio, 2, "median ratio of rank 1's compute time to rank 0's: \(ratios)")

        // The report's table names it first.
        let page = path("report.html")
        let report = try runProcess(vcolorBinary(), ["report", run, "--out", page], environment: environmentWithoutMPI(), timeout: 60)
        XCTAssertEqual(report.status, 0, report.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let firstRow = try XCTUnwrap(html.range(of: "<table class=\"eval ranks\">").map { html[$0.upperBound...] }, "no slowest-rank table")
            .components(separatedBy: "<tbody>")[1].components(separatedBy: "</tr>")[0]
        XCTAssertTrue(firstRow.hasPrefix("<tr><td class=\"name\">run</td><td>1</td>"), firstRow)
    }

    struct Step {
        var step: Int
        var slowest: Int
        var compute: [Double]
    }

    /// The step lines of metrics.jsonl (none while it does not exist).
    static func steps(_ metrics: String) throws -> [Step] {
        guard let text = try? String(contentsOfFile: metrics, encoding: .utf8) else { return [] }
        // The last line may be half written.
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == "step", let step = object["step"] as? Int,
                  let slowest = object["slowest_rank"] as? Int, let compute = object["rank_compute_s"] as? [Double] else { return nil }
            return Step(step: step, slowest: slowest, compute: compute)
        }
    }

    /// The process of MPI rank `rank` among the descendants of `root` (mpirun),
    /// by the rank Open MPI puts into each process's environment.
    static func rankProcess(_ rank: Int, under root: pid_t) throws -> pid_t? {
        var parents: [pid_t: pid_t] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // pid (comm) state ppid …: the command name may hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[pid] = parent }
        }
        func descends(_ pid: pid_t) -> Bool {
            var p = pid
            while let parent = parents[p], parent > 1 {
                if parent == root { return true }
                p = parent
            }
            return false
        }
        return parents.keys.sorted().first { pid in
            guard descends(pid), let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0).contains { Array($0) == Array("OMPI_COMM_WORLD_RANK=\(rank)".utf8) }
        }
    }
}
