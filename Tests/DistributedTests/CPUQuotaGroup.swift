import Foundation
import XCTest

/// A CPU quota on chosen processes, set by the kernel rather than by vcolor:
/// a control group of the CPU controller (cgroup v2's `cpu.max`, or v1's
/// `cpu.cfs_quota_us` on hosts that still mount it there), made under the
/// controller's root group. `remove()` moves any process still in it back to
/// the root group and deletes it.
final class CPUQuotaGroup {
    let path: String
    private let root: String

    /// A new group whose processes together get at most `percent` % of one
    /// CPU, in periods of `periodMicroseconds` (the kernel's smallest quota is
    /// 1 ms), and, when the CPUs are busy, `weight` times a default process's
    /// share of them: the quota slows the group on an idle machine, the weight
    /// on a loaded one, where the quota alone would not bind.
    /// Throws XCTSkip, with the reason, where no CPU controller can be written.
    init(percent: Double, periodMicroseconds: Int, weight: Double) throws {
        guard getuid() == 0 else { throw XCTSkip("a CPU quota needs root (cgroups)") }
        guard let (root, version) = Self.cpuController() else {
            throw XCTSkip("no writable cgroup CPU controller (neither v2 cpu.max nor v1 cpu.cfs_quota_us) is mounted")
        }
        self.root = root
        path = (root as NSString).appendingPathComponent("vcolor-test-\(getpid())-\(UUID().uuidString.prefix(8))")
        guard mkdir(path, 0o755) == 0 else {
            throw XCTSkip("cannot make a cgroup in \(root): \(String(cString: strerror(errno)))")
        }
        let quota = Int(Double(periodMicroseconds) * percent / 100)
        do {
            if version == 2 {
                try write("\(quota) \(periodMicroseconds)", to: "cpu.max")
                try write("\(max(1, Int(100 * weight)))", to: "cpu.weight")          // default 100
            } else {
                try write("\(periodMicroseconds)", to: "cpu.cfs_period_us")
                try write("\(quota)", to: "cpu.cfs_quota_us")
                try write("\(max(2, Int(1024 * weight)))", to: "cpu.shares")        // default 1024
            }
        } catch {
            remove()
            throw XCTSkip("cannot set a CPU quota in \(path): \(error.localizedDescription)")
        }
    }

    /// Moves `pid` (all its threads) into the group.
    func add(_ pid: pid_t) throws { try write("\(pid)", to: "cgroup.procs") }

    /// The periods in which the group used up its quota and waited (cpu.stat's
    /// `nr_throttled`, in v1 and v2): more than 0 once the quota has bitten.
    func throttledPeriods() -> Int? {
        let stat = (try? String(contentsOfFile: path + "/cpu.stat", encoding: .utf8)) ?? ""
        return stat.split(separator: "\n").first { $0.hasPrefix("nr_throttled ") }.flatMap { Int($0.split(separator: " ")[1]) }
    }

    /// Idempotent; called by the test's teardown whatever happened.
    func remove() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        // An exiting process can stay listed for a moment: retry for up to 5 s.
        for _ in 0..<100 {
            let procs = (try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8)) ?? ""
            for pid in procs.split(separator: "\n") { try? String(pid).write(toFile: root + "/cgroup.procs", atomically: false, encoding: .utf8) }
            if rmdir(path) == 0 { return }
            usleep(50_000)
        }
        XCTFail("cannot remove the cgroup \(path): \(String(cString: strerror(errno)))")
    }

    deinit { remove() }

    private func write(_ value: String, to file: String) throws {
        try value.write(toFile: (path as NSString).appendingPathComponent(file), atomically: false, encoding: .utf8)
    }

    /// The mount point of a hierarchy with the CPU controller, and its cgroup version:
    /// v2 where its root lists `cpu` in cgroup.controllers and lets children have it, else v1's `cpu` hierarchy.
    private static func cpuController() -> (String, Int)? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return nil }
        var v1: String?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4 else { continue }
            let point = String(fields[1]), options = fields[3].split(separator: ",")
            if fields[2] == "cgroup2", let controllers = try? String(contentsOfFile: point + "/cgroup.controllers", encoding: .utf8),
               controllers.split(whereSeparator: \.isWhitespace).contains("cpu") {
                let control = point + "/cgroup.subtree_control"
                let enabled = ((try? String(contentsOfFile: control, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
                if enabled.contains("cpu") || (try? "+cpu".write(toFile: control, atomically: false, encoding: .utf8)) != nil {
                    return (point, 2)
                }
            } else if fields[2] == "cgroup", options.contains("cpu"), FileManager.default.fileExists(atPath: point + "/cpu.cfs_quota_us") {
                v1 = point
            }
        }
        return v1.map { ($0, 1) }
    }
}
