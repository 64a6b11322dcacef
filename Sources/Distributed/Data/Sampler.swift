import Net
import ModelFiles

/// One training sample: `clipLength` consecutive frames of one sequence,
/// starting at `startFrame`.
public struct Clip: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Position of the sequence in the sampler's input list.
    public var sequenceIndex: Int
    /// The sequence's id in the data set (`/sequences/<id>`).
    public var sequenceID: String
    public var startFrame: Int

    public init(sequenceIndex: Int, sequenceID: String, startFrame: Int) {
        self.sequenceIndex = sequenceIndex
        self.sequenceID = sequenceID
        self.startFrame = startFrame
    }

    public var description: String { "\(sequenceID)@\(startFrame)" }
}

/// Data cannot make a single training step for the requested geometry.
public struct SamplerError: Error, CustomStringConvertible {
    public let description: String
}

/// The deterministic clip sampler of data-parallel training (docs/format.md §Data parallelism).
///
/// Every rank computes the whole plan of an epoch from (seed, epoch) alone,
/// so all ranks agree on the step count and on who trains on what without
/// communicating:
///
/// 1. shuffle the sequences with a generator seeded from (seed, epoch);
/// 2. cut each into non-overlapping clips of `clipLength` frames from a random
///    offset in `0...frames % clipLength`, so over epochs every frame is used;
/// 3. give whole sequences to ranks, largest clip count first to the rank with
///    the fewest clips so far (ties: lowest bin, then shuffle order), then
///    relabel the bins with a random permutation so ranks see other sequences
///    in other epochs; every rank thus trains on different sequences;
/// 4. shuffle each rank's clips; a step takes the next `batch` clips of each
///    rank; the remainder after `stepsPerEpoch` steps is dropped.
///
/// With `accumulate` K > 1 the plan is made for K × `worldSize` ranks, and
/// rank r trains on those of ranks rK … rK + K − 1, one micro-batch each, in
/// that order: one process with K micro-batches sees exactly the clips of K
/// ranks, and the clips of a step depend on ranks × K alone, not on how it
/// is factored.
///
/// A sequence always yields `frames / clipLength` clips whatever its offset,
/// and step 3 depends only on those counts, so the per-rank clip counts, and
/// `stepsPerEpoch = min over ranks of clips / batch`, are the same every epoch.
public final class Sampler {
    public let sequences: [ClipSequence]
    public let clipLength: Int
    public let batch: Int
    public let seed: UInt64
    public let rank: Int
    public let worldSize: Int
    /// Micro-batches per rank and step.
    public let accumulate: Int
    /// Steps in every epoch; at least 1.
    public let stepsPerEpoch: Int

    /// Clips of each rank in one epoch, in training order (all ranks).
    public struct EpochPlan: Sendable {
        public let epoch: Int
        public let clipsByRank: [[Clip]]
    }

    private var cached: EpochPlan?

    public init(sequences: [ClipSequence], clipLength: Int, batch: Int, seed: UInt64,
                rank: Int, worldSize: Int, accumulate: Int = 1) throws {
        guard clipLength >= 1 else { throw SamplerError(description: "clip length must be at least 1 frame, got \(clipLength)") }
        guard batch >= 1 else { throw SamplerError(description: "batch must be at least 1 clip, got \(batch)") }
        guard worldSize >= 1, (0..<worldSize).contains(rank) else {
            throw SamplerError(description: "rank \(rank) is not in a world of \(worldSize) ranks")
        }
        guard accumulate >= 1 else { throw SamplerError(description: "accumulate must be at least 1, got \(accumulate)") }
        var seen = Set<String>()
        for s in sequences {
            guard s.frames >= 0 else { throw SamplerError(description: "sequence \(s.id) has \(s.frames) frames") }
            guard seen.insert(s.id).inserted else { throw SamplerError(description: "sequence id \(s.id) appears twice") }
        }
        self.sequences = sequences
        self.clipLength = clipLength
        self.batch = batch
        self.seed = seed
        self.rank = rank
        self.worldSize = worldSize
        self.accumulate = accumulate

        let counts = sequences.map { $0.frames / clipLength }
        let bins = worldSize * accumulate
        let loads = Sampler.binLoads(sortedCounts: counts.filter { $0 > 0 }.sorted(by: >), bins: bins)
        let steps = (loads.min() ?? 0) / batch
        guard steps >= 1 else {
            let total = counts.reduce(0, +)
            let usable = counts.filter { $0 > 0 }.count
            let need = bins * batch
            let micro = accumulate > 1 ? " × \(accumulate) micro-batches" : ""
            var message = "cannot make one training step: \(total) training clip\(total == 1 ? "" : "s") of \(clipLength) frames"
                + " in \(usable) usable sequence\(usable == 1 ? "" : "s") for \(worldSize) rank\(worldSize == 1 ? "" : "s")\(micro) × batch \(batch)"
                + ": need at least \(need) clips"
            if bins > 1 {
                let who = accumulate > 1 ? "micro-batch" : "rank"
                message += ", split by whole sequences so that every \(who) gets \(batch) (the smallest share is \(loads.min() ?? 0))"
            }
            message += "; add data or lower --batch, --clip or the number of ranks"
            throw SamplerError(description: message)
        }
        self.stepsPerEpoch = steps
    }

    /// This rank's clips for the step at `cursor` (`accumulate` × `batch` of
    /// them, micro-batch by micro-batch). Throws
    /// for a cursor outside this sampler's epochs, e.g. one resumed from a
    /// checkpoint of a run with other data, batch or rank count.
    public func batch(at cursor: SamplerCursor) throws -> [Clip] {
        guard cursor.epoch >= 0, (0..<stepsPerEpoch).contains(cursor.stepInEpoch) else {
            throw SamplerError(description: "data cursor epoch \(cursor.epoch) step \(cursor.stepInEpoch) is outside an epoch of"
                + " \(stepsPerEpoch) steps (did the data set, --batch, --clip or the number of ranks change?)")
        }
        let plan = plan(epoch: cursor.epoch)
        let start = cursor.stepInEpoch * batch
        var clips: [Clip] = []
        clips.reserveCapacity(accumulate * batch)
        for micro in 0..<accumulate {
            clips += plan.clipsByRank[rank * accumulate + micro][start..<start + batch]
        }
        return clips
    }

    /// The cursor of the step after `cursor`.
    public func next(after cursor: SamplerCursor) -> SamplerCursor {
        cursor.stepInEpoch + 1 < stepsPerEpoch
            ? SamplerCursor(epoch: cursor.epoch, stepInEpoch: cursor.stepInEpoch + 1)
            : SamplerCursor(epoch: cursor.epoch + 1, stepInEpoch: 0)
    }

    /// The cursor of global step `step` (0-based) counted from the start of training.
    public func cursor(atGlobalStep step: Int) -> SamplerCursor {
        SamplerCursor(epoch: step / stepsPerEpoch, stepInEpoch: step % stepsPerEpoch)
    }

    /// The whole epoch's plan for every rank, or with `accumulate` > 1 for
    /// every micro-batch of every rank (cached for the last epoch asked).
    public func plan(epoch: Int) -> EpochPlan {
        if let cached, cached.epoch == epoch { return cached }
        let p = Sampler.makePlan(sequences: sequences, clipLength: clipLength, seed: seed, epoch: epoch,
                                 ranks: worldSize * accumulate)
        cached = p
        return p
    }

    // MARK: - The plan

    static func makePlan(sequences: [ClipSequence], clipLength T: Int, seed: UInt64, epoch: Int, ranks: Int) -> EpochPlan {
        var rng = RandomGenerator(seed: epochSeed(seed: seed, epoch: epoch))

        // 1. Shuffle the sequences.
        var order = Array(sequences.indices)
        shuffle(&order, using: &rng)

        // 2. Cut into clips from a random offset.
        var clipsOf = [[Clip]](repeating: [], count: sequences.count)
        for s in order {
            let frames = sequences[s].frames
            let offset = rng.below(frames % T + 1)
            var start = offset
            while start + T <= frames {
                clipsOf[s].append(Clip(sequenceIndex: s, sequenceID: sequences[s].id, startFrame: start))
                start += T
            }
        }

        // 3. Largest first into the least-filled bin; a stable sort keeps shuffle order among equals.
        let bySize = order.filter { !clipsOf[$0].isEmpty }.enumerated()
            .sorted { a, b in
                clipsOf[a.element].count != clipsOf[b.element].count
                    ? clipsOf[a.element].count > clipsOf[b.element].count : a.offset < b.offset
            }
            .map(\.element)
        var bins = [[Clip]](repeating: [], count: ranks)
        for s in bySize {
            var target = 0
            for b in 1..<ranks where bins[b].count < bins[target].count { target = b }
            bins[target] += clipsOf[s]
        }
        var binOfRank = Array(0..<ranks)
        shuffle(&binOfRank, using: &rng)

        // 4. Shuffle each rank's clips.
        var clipsByRank: [[Clip]] = []
        for r in 0..<ranks {
            var clips = bins[binOfRank[r]]
            shuffle(&clips, using: &rng)
            clipsByRank.append(clips)
        }
        return EpochPlan(epoch: epoch, clipsByRank: clipsByRank)
    }

    /// Clip counts per bin after the greedy assignment of `makePlan` (which
    /// depends only on the sorted counts, so it is the same every epoch).
    static func binLoads(sortedCounts: [Int], bins: Int) -> [Int] {
        var loads = [Int](repeating: 0, count: bins)
        for c in sortedCounts {
            var target = 0
            for b in 1..<bins where loads[b] < loads[target] { target = b }
            loads[target] += c
        }
        return loads
    }

    /// A generator seed for (seed, epoch): both go through a SplitMix64
    /// finaliser so nearby seeds and epochs give unrelated streams.
    static func epochSeed(seed: UInt64, epoch: Int) -> UInt64 {
        func mix(_ v: UInt64) -> UInt64 {
            var x = v &+ 0x9E37_79B9_7F4A_7C15
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        return mix(mix(seed) ^ UInt64(truncatingIfNeeded: epoch))
    }

    /// Fisher–Yates with our own bounded integers, so the order never depends
    /// on the standard library's shuffle algorithm.
    static func shuffle<E>(_ a: inout [E], using rng: inout RandomGenerator) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, rng.below(i + 1))
        }
    }
}

extension RandomGenerator {
    /// Uniform in 0..<n without modulo bias (rejection sampling).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return Int(x % bound) }
        }
    }
}
