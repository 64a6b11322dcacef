/// The checksum every checkpoint tensor carries (docs/format.md §Checksums):
/// FNV-1a (64-bit) over the float bit patterns, one 32-bit word a round. Cheap
/// enough for a few hundred MB per checkpoint, and any single flipped bit
/// changes it; the trainer also fingerprints its replicas with it.
public enum TensorChecksum {
    public static func of(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        guard let p = values.baseAddress else { return h }
        p.withMemoryRebound(to: UInt32.self, capacity: values.count) { words in
            for i in 0..<values.count {
                h = (h ^ UInt64(words[i])) &* 0x100_0000_01b3
            }
        }
        return h
    }
}
