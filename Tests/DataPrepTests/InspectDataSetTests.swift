import Foundation
import TestFiles
import TestSupport
import XCTest

/// `vcolor inspect DATA` checks the shards against index.json (and, with
/// --verify, reads every frame); any disagreement makes it exit non-zero.
final class InspectDataSetTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
        try TinyDataSet.write(to: root, sequences: [.init(frames: 4, split: "train"), .init(frames: 5, split: "train"),
                                                    .init(frames: 4, split: "val")])
    }

    func inspect(_ extra: [String] = []) throws -> ProcessOutput {
        try runProcess(vcolorBinary(), ["inspect", root] + extra, environment: environmentWithoutMPI(), timeout: 60)
    }

    var index: String { (root as NSString).appendingPathComponent("index.json") }
    var shard: String { (root as NSString).appendingPathComponent("shard-00000.h5") }

    func testHealthyDataSetPassesEvenWithVerify() throws {
        let plain = try inspect()
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("agree with index.json"), plain.stdout)
        let verified = try inspect(["--verify"])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.stdout.contains("every frame read"), verified.stdout)
    }

    func testMissingShardIsAProblem() throws {
        try FileManager.default.removeItem(atPath: shard)
        let r = try inspect()
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("shard-00000.h5 is missing"), r.stdout)
        XCTAssertTrue(r.stderr.contains("Error: 1 problem: shard-00000.h5 is missing"), r.stderr)
    }

    func testFrameCountsAndSequencesThatDisagreeAreProblems() throws {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as? [String: Any])
        var sequences = try XCTUnwrap(json["sequences"] as? [[String: Any]])
        sequences[1]["frames"] = 6
        var ghost = sequences[2]
        ghost["id"] = "09999"
        sequences.append(ghost)
        json["sequences"] = sequences
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: index))
        let r = try inspect(["--json"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let problems = try XCTUnwrap(report["problems"] as? [String])
        XCTAssertEqual(problems.sorted(), ["shard-00000.h5: sequence 00001 has 5 frames, index.json says 6",
                                           "shard-00000.h5: sequence 09999 is missing (index.json lists it)"])
    }

    /// A damaged chunk is found only by reading it: --verify does.
    func testVerifyReadsEveryChunk() throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
        // The frames are deflated chunks filling most of the file; damage the middle of it.
        let middle = bytes.count / 2
        for i in middle..<(middle + 4096) { bytes[i] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: shard))
        let plain = try inspect()
        XCTAssertEqual(plain.status, 0, "without --verify only the structure is checked: \(plain.stderr)")
        let verified = try inspect(["--verify"])
        XCTAssertEqual(verified.status, 1, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stderr.contains("Error: 1 problem"), verified.stderr)
    }
}
