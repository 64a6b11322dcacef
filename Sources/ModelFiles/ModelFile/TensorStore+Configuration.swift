import Net

extension TensorStore {
    /// The configuration of the network the file holds (docs/format.md §Loading),
    /// worked out from tensor names and shapes and checked against the stored
    /// one. The base width and temporal variant are read off the tensors
    /// (down1's or layer1's weight has `w` output channels; `lstm.*` is there or
    /// not); a stored configuration that disagrees is an error, and the frame
    /// size, which no tensor shows (the network is fully convolutional), comes
    /// from it or is the seed's 128. The recipe fields are the stored ones
    /// (the seed's where nothing is stored).
    func configuration() throws -> ModelConfig {
        let stored = try storedConfiguration.map { try ModelConfigJSON.parse($0, source: path) }
        let generator = try tensors(in: .generator) ?? [:]
        let discriminator = try tensors(in: .discriminator) ?? [:]
        var width: Int?
        // The width is read off the first convolution, whose other dimensions are
        // fixed ([w, 1, 4, 4] in G, [w, 3, 4, 4] in D): a tensor of another shape
        // (permuted, say) is reported as that shape, not as a wrong base width.
        for (name, inputs, network) in [("down1.conv.weight", 1, generator), ("layer1.conv.weight", 3, discriminator)] {
            guard let s = network[name]?.shape else { continue }
            guard s.count == 4, s[0] > 0, s[1] == inputs, s[2] == 4, s[3] == 4 else {
                throw ModelFileError("\(path): \(name) has shape \(s), expected [width, \(inputs), 4, 4]")
            }
            width = s[0]
            break
        }
        let temporal: ModelConfig.Temporal = generator.keys.contains { $0.hasPrefix("lstm.") } ? .lstm : .none
        let hasGenerator = generator.keys.contains { !TensorGroup.isBatchCounter($0) }
        if let stored {
            if let w = stored.baseWidth, let width, w != width {
                throw ModelFileError("\(path): the stored configuration says base width \(w) but the tensors have \(width)")
            }
            if let t = stored.temporal, hasGenerator, t != temporal {
                throw ModelFileError("\(path): the stored configuration says temporal \(t.rawValue) but the file "
                                     + (temporal == .lstm ? "has" : "has no") + " lstm.* tensors")
            }
        }
        guard let baseWidth = width ?? stored?.baseWidth else {
            throw ModelFileError("\(path): cannot tell the model's width: no down1.conv.weight or layer1.conv.weight tensor")
        }
        var config = stored?.recipe ?? ModelConfig()
        config.baseWidth = baseWidth
        config.temporal = stored?.temporal ?? temporal
        config.size = stored?.size ?? 128
        do { try config.validate() } catch { throw ModelFileError("\(path): \(error)") }
        return config
    }
}
