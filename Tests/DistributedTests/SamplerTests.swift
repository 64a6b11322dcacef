import TestSupport
import XCTest
@testable import Distributed
@testable import ModelFiles

final class SamplerTests: XCTestCase {
    /// 40 sequences of 3…60 frames (some shorter than a clip), deterministic.
    let sequences: [ClipSequence] = (0..<40).map { i in
        ClipSequence(id: String(format: "%05d", i), shard: "s.h5", frames: 3 + (i * 37) % 58)
    }

    func samplers(world: Int, clip: Int = 8, batch: Int = 2, seed: UInt64 = 7) throws -> [Sampler] {
        try (0..<world).map {
            try Sampler(sequences: sequences, clipLength: clip, batch: batch, seed: seed, rank: $0, worldSize: world)
        }
    }

    func allBatches(_ s: Sampler, epochs: Int) throws -> [[Clip]] {
        try (0..<epochs).flatMap { e in try (0..<s.stepsPerEpoch).map { try s.batch(at: SamplerCursor(epoch: e, stepInEpoch: $0)) } }
    }

    /// With `accumulate` K, rank r's step is the batches of ranks rK … rK + K − 1
    /// of a world of R × K ranks, in order: the clips of a step depend on R × K
    /// alone (1 × 4, 2 × 2 and 4 × 1 train on the same clips, micro-batch by micro-batch).
    func testMicroBatchesAreTheClipsOfAsManyRanks() throws {
        let four = try samplers(world: 4)
        for (world, accumulate) in [(1, 4), (2, 2)] {
            for rank in 0..<world {
                let s = try Sampler(sequences: sequences, clipLength: 8, batch: 2, seed: 7, rank: rank, worldSize: world,
                                    accumulate: accumulate)
                XCTAssertEqual(s.stepsPerEpoch, four[0].stepsPerEpoch)
                for epoch in 0..<2 {
                    for step in 0..<s.stepsPerEpoch {
                        let cursor = SamplerCursor(epoch: epoch, stepInEpoch: step)
                        let expected = try (0..<accumulate).flatMap { try four[rank * accumulate + $0].batch(at: cursor) }
                        XCTAssertEqual(try s.batch(at: cursor), expected, "\(world) × \(accumulate), rank \(rank)")
                    }
                }
            }
        }
        XCTAssertThrowsError(try Sampler(sequences: sequences, clipLength: 8, batch: 2, seed: 7, rank: 0, worldSize: 1, accumulate: 0))
    }

    func testDeterministic() throws {
        let a = try samplers(world: 3), b = try samplers(world: 3)
        for r in 0..<3 {
            XCTAssertEqual(try allBatches(a[r], epochs: 3), try allBatches(b[r], epochs: 3))
        }
    }

    /// A small plan written out: 6 sequences, 2 ranks, clips of 4, batch 1, seed 11.
    static func smallPlan(epoch: Int) throws -> [[String]] {
        let sequences = [9, 13, 4, 21, 8, 12].enumerated().map { ClipSequence(id: "s\($0.offset)", shard: "x", frames: $0.element) }
        let s = try Sampler(sequences: sequences, clipLength: 4, batch: 1, seed: 11, rank: 0, worldSize: 2)
        return s.plan(epoch: epoch).clipsByRank.map { $0.map(\.description) }
    }

    /// Recorded from the implementation once: any change to the shuffle, the
    /// split over ranks or the clip offsets, and anything that differs from
    /// process to process (Swift's hashing is seeded per process), breaks it.
    static let pinnedPlans: [[[String]]] = [
        [["s5@0", "s1@9", "s1@5", "s0@5", "s5@4", "s1@1", "s0@1", "s5@8"],
         ["s3@5", "s4@0", "s3@9", "s3@17", "s3@1", "s2@0", "s3@13", "s4@4"]],
        [["s0@5", "s5@8", "s1@4", "s0@1", "s5@0", "s1@0", "s5@4", "s1@8"],
         ["s3@16", "s2@0", "s3@4", "s4@0", "s3@12", "s3@0", "s4@4", "s3@8"]],
    ]

    /// The plan is the pinned one here and in a second process (this test
    /// bundle run again for this one test, writing its plan to a file): ranks
    /// are separate processes and must compute the same plan.
    func testPinnedPlanIsTheSameInAnotherProcess() throws {
        let plans = try (0..<2).map { try Self.smallPlan(epoch: $0) }
        if let out = ProcessInfo.processInfo.environment["VCOLOR_SAMPLER_PLAN_OUT"] {
            try JSONEncoder().encode(plans).write(to: URL(fileURLWithPath: out))
            return
        }
        XCTAssertEqual(plans, Self.pinnedPlans, "\(plans)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var environment = environmentWithoutMPI()
        environment["VCOLOR_SAMPLER_PLAN_OUT"] = out
        let bundle = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        let child = try runProcess(bundle, ["DistributedTests.SamplerTests/testPinnedPlanIsTheSameInAnotherProcess"],
                                   environment: environment, timeout: 120)
        XCTAssertEqual(child.status, 0, child.stderr)
        let other = try JSONDecoder().decode([[[String]]].self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(other, plans, "another process computed another plan")
    }

    func testEpochsAndSeedsDiffer() throws {
        let s = try samplers(world: 2)[0]
        let other = try samplers(world: 2, seed: 8)[0]
        XCTAssertNotEqual(s.plan(epoch: 0).clipsByRank, s.plan(epoch: 1).clipsByRank)
        XCTAssertNotEqual(s.plan(epoch: 0).clipsByRank, other.plan(epoch: 0).clipsByRank)
        // Every rank computes the same full plan.
        let t = try samplers(world: 2)[1]
        XCTAssertEqual(s.plan(epoch: 4).clipsByRank, t.plan(epoch: 4).clipsByRank)
    }

    func testRanksTrainOnDisjointSequencesAndAgreeOnStepCount() throws {
        for world in [1, 2, 3, 5] {
            let ranks = try samplers(world: world)
            XCTAssertEqual(Set(ranks.map(\.stepsPerEpoch)).count, 1)
            let steps = ranks[0].stepsPerEpoch
            XCTAssertGreaterThanOrEqual(steps, 1)
            for epoch in 0..<4 {
                let plan = ranks[0].plan(epoch: epoch)
                XCTAssertEqual(plan.clipsByRank.count, world)
                // Steps are the smallest rank's whole batches.
                XCTAssertEqual(steps, plan.clipsByRank.map { $0.count / 2 }.min())
                var owner: [String: Int] = [:]
                for (r, clips) in plan.clipsByRank.enumerated() {
                    for c in clips {
                        XCTAssertEqual(owner[c.sequenceID, default: r], r, "sequence \(c.sequenceID) on two ranks")
                        owner[c.sequenceID] = r
                    }
                }
                for r in 0..<world {
                    var seen = Set<Clip>()
                    for step in 0..<steps {
                        let batch = try ranks[r].batch(at: SamplerCursor(epoch: epoch, stepInEpoch: step))
                        XCTAssertEqual(batch.count, 2)
                        for c in batch {
                            XCTAssertEqual(owner[c.sequenceID], r)
                            XCTAssertTrue(seen.insert(c).inserted, "clip \(c) drawn twice in one epoch")
                        }
                    }
                }
            }
        }
    }

    func testClipsInRangeNonOverlappingAndAllFramesReachable() throws {
        let T = 8
        let s = try samplers(world: 2, clip: T)[0]
        var offsets: [Int: Set<Int>] = [:]
        for epoch in 0..<40 {
            var startsOf: [Int: [Int]] = [:]
            for c in s.plan(epoch: epoch).clipsByRank.joined() {
                let seq = sequences[c.sequenceIndex]
                XCTAssertEqual(c.sequenceID, seq.id)
                XCTAssertGreaterThanOrEqual(c.startFrame, 0)
                XCTAssertLessThanOrEqual(c.startFrame + T, seq.frames, "clip \(c) runs past \(seq.frames) frames")
                startsOf[c.sequenceIndex, default: []].append(c.startFrame)
            }
            for (i, seq) in sequences.enumerated() {
                let starts = (startsOf[i] ?? []).sorted()
                // Every sequence yields frames / T clips, T apart, from one offset ≤ frames % T.
                XCTAssertEqual(starts.count, seq.frames / T)
                guard let first = starts.first else { continue }
                XCTAssertLessThanOrEqual(first, seq.frames % T)
                XCTAssertEqual(starts, Array(stride(from: first, to: first + starts.count * T, by: T)))
                offsets[i, default: []].insert(first)
            }
        }
        // Over 40 epochs the offsets vary, so the tail frames get used too.
        let varied = sequences.indices.filter { sequences[$0].frames % T > 0 && sequences[$0].frames >= T }
        XCTAssertFalse(varied.isEmpty)
        for i in varied {
            XCTAssertGreaterThan(offsets[i]?.count ?? 0, 1, "sequence \(i) always starts at the same frame")
        }
    }

    func testBalancesWholeSequences() throws {
        // Clip counts 6, 3, 3, 2, 2 over 2 ranks: largest first gives 8 and 8.
        let seqs = [6, 3, 3, 2, 2].enumerated().map { ClipSequence(id: "s\($0.offset)", shard: "s.h5", frames: $0.element * 4) }
        let s = try Sampler(sequences: seqs, clipLength: 4, batch: 4, seed: 1, rank: 0, worldSize: 2)
        XCTAssertEqual(s.stepsPerEpoch, 2)
        for epoch in 0..<5 {
            XCTAssertEqual(s.plan(epoch: epoch).clipsByRank.map(\.count).sorted(), [8, 8])
        }
    }

    func testCursorAdvancesAcrossEpochsAndRoundTrips() throws {
        let s = try samplers(world: 2)[1]
        var c = SamplerCursor()
        for _ in 0..<s.stepsPerEpoch { c = s.next(after: c) }
        XCTAssertEqual(c, SamplerCursor(epoch: 1, stepInEpoch: 0))
        XCTAssertEqual(s.cursor(atGlobalStep: s.stepsPerEpoch * 3 + 1), SamplerCursor(epoch: 3, stepInEpoch: 1))
        let saved = SamplerCursor(epoch: 2, stepInEpoch: s.stepsPerEpoch - 1)
        let decoded = try JSONDecoder().decode(SamplerCursor.self, from: JSONEncoder().encode(saved))
        XCTAssertEqual(decoded, saved)
        // A fresh sampler (a resumed run) draws the same batch at the saved cursor.
        let resumed = try samplers(world: 2)[1]
        XCTAssertEqual(try resumed.batch(at: decoded), try s.batch(at: saved))
        // A cursor from another geometry is an error, not a trap.
        XCTAssertThrowsError(try s.batch(at: SamplerCursor(epoch: 0, stepInEpoch: s.stepsPerEpoch))) { error in
            XCTAssertTrue(String(describing: error).contains("outside an epoch of \(s.stepsPerEpoch) steps"), "\(error)")
        }
        XCTAssertThrowsError(try s.batch(at: SamplerCursor(epoch: -1, stepInEpoch: 0)))
    }

    func testTooLittleDataIsAClearError() {
        // 3 clips of 8 frames for 2 ranks × batch 4.
        let three = [ClipSequence(id: "a", shard: "s.h5", frames: 16), ClipSequence(id: "b", shard: "s.h5", frames: 9), ClipSequence(id: "c", shard: "s.h5", frames: 5)]
        XCTAssertThrowsError(try Sampler(sequences: three, clipLength: 8, batch: 4, seed: 0, rank: 0, worldSize: 2)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("3 training clips of 8 frames"), text)
            XCTAssertTrue(text.contains("2 ranks × batch 4"), text)
            XCTAssertTrue(text.contains("need at least 8 clips"), text)
        }
        // Enough clips, but all in one sequence, which cannot be split between ranks.
        let one = [ClipSequence(id: "long", shard: "s.h5", frames: 800)]
        XCTAssertThrowsError(try Sampler(sequences: one, clipLength: 8, batch: 4, seed: 0, rank: 1, worldSize: 2)) { error in
            XCTAssertTrue(String(describing: error).contains("smallest share is 0"), String(describing: error))
        }
        XCTAssertNoThrow(try Sampler(sequences: one, clipLength: 8, batch: 4, seed: 0, rank: 0, worldSize: 1))
        XCTAssertThrowsError(try Sampler(sequences: [], clipLength: 8, batch: 1, seed: 0, rank: 0, worldSize: 1))
        XCTAssertThrowsError(try Sampler(sequences: one, clipLength: 0, batch: 1, seed: 0, rank: 0, worldSize: 1))
        XCTAssertThrowsError(try Sampler(sequences: one, clipLength: 8, batch: 0, seed: 0, rank: 0, worldSize: 1))
        XCTAssertThrowsError(try Sampler(sequences: one, clipLength: 8, batch: 1, seed: 0, rank: 2, worldSize: 2))
        XCTAssertThrowsError(try Sampler(sequences: one + one, clipLength: 8, batch: 1, seed: 0, rank: 0, worldSize: 1))
    }
}
