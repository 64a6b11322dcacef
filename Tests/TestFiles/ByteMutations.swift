import Net

/// Seeded random damage to a good file's bytes, for the reader fuzz tests.
public enum ByteMutations {
    /// 1–3 mutations: bit flips, random bytes, truncation, insertion, deletion;
    /// `hot` (if given) is where most of them land.
    public static func mutate(_ good: [UInt8], _ rng: inout RandomGenerator, hot: Range<Int>? = nil) -> [UInt8] {
        var bytes = good
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            guard !bytes.isEmpty else { break }
            let range = hot.map { $0.clamped(to: 0..<bytes.count) }.flatMap { $0.isEmpty ? nil : $0 } ?? 0..<bytes.count
            let at = range.lowerBound + Int(rng.next() % UInt64(range.count))
            switch rng.next() % 6 {
            case 0, 1: bytes[at] ^= UInt8(1 << (rng.next() % 8))
            case 2: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 3: bytes = Array(bytes.prefix(at))
            case 4: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            default: bytes.remove(at: at)
            }
        }
        return bytes
    }
}
