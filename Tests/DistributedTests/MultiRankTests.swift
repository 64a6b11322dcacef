import Foundation
import TestFiles
import TestSupport
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
            var gathered: [Double]
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
            XCTAssertEqual(r.gathered, [1.0 / 3, 1.0 / 5], "rank \(r.rank): every rank's value (rank r sends 1/(2r + 3)), in rank order")
            XCTAssertEqual(r.localSize, 2)
        }
        XCTAssertEqual(Set(report.ranks.map(\.localRank)), [0, 1])
        // An oracle independent of the doctor's own mismatch counts: rank r
        // contributes (r + 1)·(i mod 7 + 1) to element i of 2²⁰ + 12 345 floats,
        // so the bucketed average is 1.5·(i mod 7 + 1), exact in float; its
        // FNV-1a over the little-endian bytes is computed here.
        let expected = Self.fnv1a((0..<((1 << 20) + 12_345)).map { Float(1.5) * Float($0 % 7 + 1) })
        for r in report.ranks {
            XCTAssertEqual(r.checksum, String(expected, radix: 16), "rank \(r.rank): bucketed average")
        }
        XCTAssertTrue(report.replicasIdentical)
        XCTAssertTrue(report.ok)
        let bandwidth = try XCTUnwrap(report.bandwidth)
        XCTAssertGreaterThan(bandwidth.seconds, 0)
        XCTAssertGreaterThan(bandwidth.algorithmGBps, 0)
    }

    /// 64-bit FNV-1a of the floats' little-endian bytes.
    static func fnv1a(_ values: [Float]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes in
                for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            }
        }
        return h
    }

    /// The deadline (60 s) only stops a hang; "quickly" is 10 s from launch to
    /// the end of the job, with the failing rank failing at once.
    func testFailingRankEndsTheJobQuickly() throws {
        _ = try XCTUnwrap(mpirun(), "mpirun is not on PATH (apt install openmpi-bin)")
        let start = Date()
        let result = try runUnderMPI(ranks: 2, ["doctor", "--fail-rank", "1", "--megabytes", "0"], timeout: 60)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
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
        XCTAssertEqual(report.ranks.first?.gathered, [1.0 / 3])
        XCTAssertNil(report.bandwidth)
    }

    /// Issue 25, cause 12: `doctor --data` said "the same index.json on every
    /// host" of an index.json that is not JSON. The same bytes everywhere vouch
    /// for nothing train would refuse: such an index, an incomplete one and one
    /// whose shard is missing are each a problem naming the cause, and doctor exits non-zero.
    func testDoctorDataVouchesOnlyForADataSetTrainCanUse() throws {
        let root = try makeScratchDirectory()
        func doctor(_ data: String) throws -> ProcessOutput {
            try runProcess(vcolorBinary(), ["doctor", "--data", data, "--megabytes", "0"], environment: environmentWithoutMPI(), timeout: 60)
        }
        let good = root + "/good"
        try TinyDataSet.write(to: good, sequences: TinyDataSet.standard)
        let ok = try doctor(good)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("data set: the same index.json on every host (1 node)"), ok.stdout)

        var index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: good + "/index.json"))) as? [String: Any])
        index["complete"] = false
        let incomplete = try JSONSerialization.data(withJSONObject: index)
        let broken: [(String, (String) throws -> Void, String)] = [
            ("not-json", { try "{ \"format\": \"vcolor-dataset\", ".write(toFile: $0 + "/index.json", atomically: true, encoding: .utf8) },
             "not a vcolor data set index"),
            ("incomplete", { try incomplete.write(to: URL(fileURLWithPath: $0 + "/index.json")) }, "the data set is incomplete"),
            ("no-shard", { try FileManager.default.removeItem(atPath: $0 + "/shard-00000.h5") }, "shard shard-00000.h5 is missing"),
        ]
        for (name, damage, cause) in broken {
            let data = root + "/" + name
            try FileManager.default.copyItem(atPath: good, toPath: data)
            try damage(data)
            let r = try doctor(data)
            XCTAssertNotEqual(r.status, 0, name + ": " + r.stdout)
            XCTAssertFalse(r.stdout.contains("the same index.json on every host"), name + ": " + r.stdout)
            let problem = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("problem: rank 0 on") }, name + ": " + r.stdout)
            XCTAssertTrue(problem.contains("data set unusable: ") && problem.contains(cause), name + ": " + problem)
        }
    }
}
