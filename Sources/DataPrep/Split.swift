/// The two parts of a data set: sequences to train on and held-out sequences to
/// validate and evaluate on. The split is by source input, deterministic from
/// the seed; `index.json` stores the raw value.
public enum Split: String, Codable, CaseIterable, Sendable {
    case train
    case val

    /// Split of each of `count` inputs (in path order). `round(count·valFraction)`
    /// inputs go to validation (so the default 0.1 holds one out from 5 inputs
    /// on), but never all of them when the fraction is below 1; which ones is a
    /// seeded shuffle.
    public static func assign(count: Int, valFraction: Double, seed: UInt64) -> [Split] {
        // No inputs, no split (the "never all" rule below would ask for -1 validation inputs).
        guard count > 0 else { return [] }
        var nVal = Int((Double(count) * valFraction).rounded())
        if valFraction < 1 && nVal == count { nVal = count - 1 }
        var order = Array(0..<count)
        var state = seed
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(next() % UInt64(i + 1)))
            }
        }
        var splits = [Split](repeating: .train, count: count)
        for i in order.prefix(nVal) { splits[i] = .val }
        return splits
    }

    /// Splits of inputs where some are stills: the other inputs are split as
    /// `assign` splits them (so a data set without stills is split as before),
    /// the stills apart, with their own shuffle, so a few videos among
    /// thousands of photos still get their share of validation. A photo is
    /// one input: all its clips go to the same side.
    public static func assign(isStill: [Bool], valFraction: Double, seed: UInt64) -> [Split] {
        let others = isStill.indices.filter { !isStill[$0] }, stills = isStill.indices.filter { isStill[$0] }
        var splits = [Split](repeating: .train, count: isStill.count)
        for (i, split) in zip(others, assign(count: others.count, valFraction: valFraction, seed: seed)) { splits[i] = split }
        let stillSeed = seed ^ 0x5354_494C_4C53  // "STILLS"
        for (i, split) in zip(stills, assign(count: stills.count, valFraction: valFraction, seed: stillSeed)) { splits[i] = split }
        return splits
    }
}
