import Net

/// Finds NaN and ±∞ in weights. A model file holding them produces a
/// uniformly wrong picture (or trains on, writing more of them), so every
/// reader refuses them by name, and training never writes them.
public enum NonFinite {
    /// True when every value is finite. Exponent bits all set means NaN or
    /// ±∞; the integer OR-reduction vectorises (≈ memory speed).
    public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        guard let p = values.baseAddress else { return true }
        return UnsafeRawPointer(p).withMemoryRebound(to: UInt32.self, capacity: values.count) { bits in
            var i = 0
            while i < values.count {
                let end = min(values.count, i + 4096)
                var any: UInt32 = 0
                for k in i..<end { any |= UInt32((bits[k] & 0x7f80_0000) == 0x7f80_0000 ? 1 : 0) }
                if any != 0 { return false }
                i = end
            }
            return true
        }
    }

    /// The first tensor of `weights`, buffers included, that holds a non-finite
    /// value, named with its group ("generator/down1.conv.weight"), or nil.
    public static func firstTensor(in weights: ModelWeights) -> String? {
        for (group, set) in weights.networks {
            if let p = set.entries.first(where: { !allFinite(UnsafeBufferPointer($0.values)) }) { return "\(group)/\(p.name)" }
        }
        if let average = weights.generatorAverage,
           !allFinite(UnsafeBufferPointer(average.values)) || !allFinite(UnsafeBufferPointer(average.buffers)) {
            return "\(TensorGroup.generatorAverage) (the generator's moving average)"
        }
        return nil
    }

    /// "a, b, c and 4 more" for messages.
    public static func list(_ names: [String], limit: Int = 6) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? "\(shown) and \(names.count - limit) more" : shown
    }
}
