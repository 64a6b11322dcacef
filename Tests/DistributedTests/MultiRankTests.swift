import Foundation
import XCTest

/// Runs the built `vcolor` binary under `mpirun -np 2`, with a deadline so a
/// hang fails the test instead of blocking CI.
final class MultiRankTests: XCTestCase {
    struct DoctorJSON: Decodable {
        struct Rank: Decodable {
            var rank: Int
            var localRank: Int
            var localSize: Int
            var allReduceSum: Float
            var allReduceMismatches: Int
            var averageMismatches: Int
            var bucketMismatches: Int
            var progressedBuckets: Int
            var progressBuckets: Int
            var bf16Mismatches: Int
            var broadcastOK: Bool
            var checksum: String
        }
        struct Bandwidth: Decodable { var seconds: Double; var algorithmGBps: Double }
        var size: Int
        var singleton: Bool
        var ok: Bool
        var replicasIdentical: Bool
        var ranks: [Rank]
        var bandwidth: Bandwidth?
    }

    func testTwoRanksAllReduceAgree() throws {
        _ = try XCTUnwrap(mpirun(), "mpirun is not on PATH (apt install openmpi-bin)")
        let result = try runUnderMPI(ranks: 2, ["doctor", "--json", "--megabytes", "8", "--repeats", "1"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONDecoder().decode(DoctorJSON.self, from: Data(result.stdout.utf8))
        XCTAssertEqual(report.size, 2)
        XCTAssertFalse(report.singleton)
        XCTAssertEqual(report.ranks.map(\.rank), [0, 1])
        for r in report.ranks {
            XCTAssertEqual(r.allReduceSum, 3, "rank \(r.rank): 1 + 2")
            XCTAssertEqual(r.allReduceMismatches, 0)
            XCTAssertEqual(r.averageMismatches, 0)
            XCTAssertEqual(r.bucketMismatches, 0)
            XCTAssertGreaterThan(r.progressBuckets, 1)
            XCTAssertEqual(r.progressedBuckets, r.progressBuckets, "buckets must finish while the ranks compute")
            XCTAssertEqual(r.bf16Mismatches, 0)
            XCTAssertTrue(r.broadcastOK)
            XCTAssertEqual(r.localSize, 2)
        }
        XCTAssertEqual(Set(report.ranks.map(\.localRank)), [0, 1])
        XCTAssertEqual(report.ranks[0].checksum, report.ranks[1].checksum)
        XCTAssertTrue(report.replicasIdentical)
        XCTAssertTrue(report.ok)
        let bandwidth = try XCTUnwrap(report.bandwidth)
        XCTAssertGreaterThan(bandwidth.seconds, 0)
        XCTAssertGreaterThan(bandwidth.algorithmGBps, 0)
    }

    func testFailingRankEndsTheJobQuickly() throws {
        _ = try XCTUnwrap(mpirun(), "mpirun is not on PATH (apt install openmpi-bin)")
        let start = Date()
        let result = try runUnderMPI(ranks: 2, ["doctor", "--fail-rank", "1", "--megabytes", "0"], timeout: 30)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        XCTAssertTrue(result.stderr.contains("rank 1/2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("failing on purpose"), result.stderr)
    }

    func testDoctorWithoutMPIRunIsOneRank() throws {
        let result = try runProcess(vcolorBinary(), ["doctor", "--json"], environment: environmentWithoutMPI(), timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONDecoder().decode(DoctorJSON.self, from: Data(result.stdout.utf8))
        XCTAssertEqual(report.size, 1)
        XCTAssertTrue(report.singleton)
        XCTAssertEqual(report.ranks.first?.allReduceSum, 1)
        XCTAssertNil(report.bandwidth)
    }
}

// MARK: - Running processes with a deadline

struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The `vcolor` executable in the build products folder holding this test bundle.
func vcolorBinary() -> URL {
    var dir = Bundle(for: MultiRankTests.self).bundleURL
    while dir.pathExtension != "" || !FileManager.default.fileExists(atPath: dir.appendingPathComponent("vcolor").path) {
        dir.deleteLastPathComponent()
        if dir.path == "/" { break }
    }
    return dir.appendingPathComponent("vcolor")
}

func mpirun() -> URL? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return dirs.map { URL(fileURLWithPath: "\($0)/mpirun") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// This process's environment without MPI's variables: once the test process
/// has become an MPI singleton (CommunicatorTests), OpenMPI has put PMIX_RANK
/// and friends into it, and a child inheriting them would join this
/// process's MPI job instead of starting its own.
func environmentWithoutMPI() -> [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
        !["OMPI_", "PMIX_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) }
    }
}

func runUnderMPI(ranks: Int, _ arguments: [String], timeout: TimeInterval) throws -> ProcessOutput {
    var env = environmentWithoutMPI()
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return try runProcess(mpirun()!, ["-np", String(ranks), "--oversubscribe", vcolorBinary().path] + arguments,
                          environment: env, timeout: timeout)
}

/// Runs `executable`; output goes to temporary files (no pipe can fill up),
/// and a process still running after `timeout` seconds is killed and reported.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                timeout: TimeInterval) throws -> ProcessOutput {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        process.terminate()  // mpirun forwards SIGTERM to its ranks
        let grace = Date().addingTimeInterval(5)
        while process.isRunning && Date() < grace { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? out.close(); try? err.close()
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        throw NSError(domain: "vcolor-tests", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s: \(stderr)"])
    }
    process.waitUntilExit()
    try out.close(); try err.close()
    return ProcessOutput(status: process.terminationStatus,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}
