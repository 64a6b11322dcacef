import Foundation
import Net
import TestSupport
import XCTest

extension XCTestCase {
    /// The reader fuzz loop through the real binary, so a crash inside libhdf5
    /// shows up as a killed child, not a lost test run: 60 seeded damaged
    /// copies of the file at `good` (half of them damaged in the first 4 KB,
    /// where an HDF5 file keeps its superblock, object headers and B-trees;
    /// half anywhere), each written to `damaged` (which may be `good` itself)
    /// and read by `vcolor arguments`. Every run must end in a result or one
    /// clean error (exit status 0 or 1, never a signal), and more than 10 in
    /// the error, so the damage is seen to reach the reader.
    public func assertDamagedCopiesEndCleanly(of good: String, at damaged: String, seed: UInt64, vcolor arguments: [String],
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        var rng = RandomGenerator(seed: seed)
        var outcomes: [Int32: Int] = [:]
        for round in 0..<60 {
            try Data(ByteMutations.mutate(bytes, &rng, hot: round % 2 == 0 ? 0..<4096 : nil))
                .write(to: URL(fileURLWithPath: damaged))
            let r = try runProcess(vcolorBinary(), arguments, environment: environmentWithoutMPI(), timeout: 60)
            XCTAssertTrue(r.status == 0 || r.status == 1, "round \(round): status \(r.status): \(r.stderr.suffix(400))",
                          file: file, line: line)
            outcomes[r.status, default: 0] += 1
        }
        XCTAssertGreaterThan(outcomes[1] ?? 0, 10, "\(outcomes)", file: file, line: line)
    }
}
