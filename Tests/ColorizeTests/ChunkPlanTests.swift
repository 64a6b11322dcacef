@testable import Colorize
import XCTest

/// `ChunkPlan`: chunks of whole shots, from the cuts and `chunkFrames` alone,
/// taken by the ranks longest first.
final class ChunkPlanTests: XCTestCase {
    /// 100 frames, shots starting at 10, 15, 40, 45 and 90, chunks of at least 20:
    /// 0–39 (the cuts at 10 and 15 come too early), 40–89 (the shot 45–89 is
    /// longer than a chunk and stays whole), 90–99 (the last, shorter).
    func testChunksAreWholeShotsEndingAtTheFirstCutPastTheirLength() {
        let plan = ChunkPlan(frames: 100, cuts: [10, 15, 40, 45, 90], chunkFrames: 20) { Int64($0) * 40_000_000 }
        XCTAssertEqual(plan.chunks, [.init(first: 0, count: 40, startNanoseconds: 0),
                                     .init(first: 40, count: 50, startNanoseconds: 1_600_000_000),
                                     .init(first: 90, count: 10, startNanoseconds: 3_600_000_000)])
        XCTAssertEqual(plan.cuts(in: plan.chunks[1]), [40, 45])
        XCTAssertEqual(plan.chunks.reduce(0) { $0 + $1.count }, 100)
        XCTAssertEqual(ChunkPlan(frames: 100, cuts: [], chunkFrames: 20) { _ in 0 }.chunks.count, 1, "no cut: one chunk")
        XCTAssertEqual(ChunkPlan(frames: 0, cuts: [], chunkFrames: 20) { _ in 0 }.chunks, [])
    }

    /// The ranks take the pending chunks longest first, ties in film order, so the last to start are the shortest.
    func testChunksAreClaimedLongestFirst() {
        let counts = [10, 50, 30, 20, 40, 10, 30]
        var firsts = [0]
        for c in counts.dropLast() { firsts.append(firsts.last! + c) }
        let plan = ChunkPlan(frames: counts.reduce(0, +), cuts: Array(firsts.dropFirst()), chunkFrames: 1) { Int64($0) }
        XCTAssertEqual(plan.chunks.map(\.count), counts)
        XCTAssertEqual(plan.claimOrder(Array(0..<7)), [1, 4, 2, 6, 3, 0, 5])
        XCTAssertEqual(plan.claimOrder([5, 2, 0]), [2, 0, 5], "only the pending chunks")
    }
}
