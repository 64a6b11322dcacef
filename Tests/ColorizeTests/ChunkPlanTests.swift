@testable import Colorize
import XCTest

/// `ChunkPlan`: chunks of whole shots, from the cuts and `chunkFrames` alone,
/// and a share of them per rank that leaves no rank more than a chunk behind.
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

    /// Longest first to the least loaded rank: 7 chunks of 50, 40, 30, 30,
    /// 20, 10, 10 frames on 3 ranks end at 70, 60 and 60 frames (the best is 60, 60, 70 too).
    func testAssignmentBalancesFramesAndKeepsFilmOrderPerRank() {
        let counts = [10, 50, 30, 20, 40, 10, 30]
        var firsts = [0]
        for c in counts.dropLast() { firsts.append(firsts.last! + c) }
        let plan = ChunkPlan(frames: counts.reduce(0, +), cuts: Array(firsts.dropFirst()), chunkFrames: 1) { Int64($0) }
        XCTAssertEqual(plan.chunks.map(\.count), counts)
        let shares = plan.assign(Array(0..<7), ranks: 3)
        XCTAssertEqual(shares, [[0, 1, 5], [3, 4], [2, 6]])
        XCTAssertEqual(Set(shares.flatMap { $0 }), Set(0..<7), "every chunk once")
        XCTAssertEqual(shares.flatMap { $0 }.count, 7)
        let loads = shares.map { $0.reduce(0) { $0 + counts[$1] } }
        XCTAssertEqual(loads.sorted(), [60, 60, 70])
        for share in shares { XCTAssertEqual(share, share.sorted(), "a rank's chunks in film order") }
        XCTAssertEqual(plan.assign([2, 5], ranks: 4), [[2], [5], [], []], "only the pending chunks")
        XCTAssertEqual(plan.assign(Array(0..<7), ranks: 3), shares, "the same on every rank")
    }
}
