import Net

/// What a model file holds, seen only through tensor names and shapes: enough to
/// work out the network it belongs to and to check it against that network
/// before a single value is copied.
struct ModelTensors {
    /// PyTorch shape of each tensor the file holds, by name (docs/format.md §Tensor names).
    var shapes: [String: [Int]]
    /// Element type of each tensor ("F32", "I64", …; checkpoints are all F32).
    var dtypes: [String: String]
    /// Where the tensors came from, for messages.
    var source: String

    /// PyTorch's BatchNorm counter, an int64 scalar in every torch-saved
    /// state_dict. We never use it (momentum is fixed at 0.1), so it is accepted
    /// and ignored rather than rejected as an unknown tensor.
    static func isBatchCounter(_ name: String) -> Bool { name.hasSuffix(".num_batches_tracked") }

    /// Names of the discriminator (docs/format.md §Tensor names: `layer1…3`, `head`).
    static func isDiscriminatorName(_ name: String) -> Bool {
        name.hasPrefix("layer") || name.hasPrefix("head.")
    }

    var hasDiscriminator: Bool { shapes.keys.contains { Self.isDiscriminatorName($0) && !Self.isBatchCounter($0) } }
    var hasGenerator: Bool { shapes.keys.contains { !Self.isDiscriminatorName($0) && !Self.isBatchCounter($0) } }

    /// The configuration of the network these tensors belong to. The base width
    /// and temporal variant are read off the tensors (down1's or layer1's weight
    /// has `w` output channels; `lstm.*` is there or not); a stored
    /// configuration that disagrees is an error, and the frame size, which no
    /// tensor shows (the network is fully convolutional), comes from it or is
    /// the seed's 128.
    func configuration(stored: ModelConfigJSON.Partial?) throws -> ModelConfig {
        var width: Int?
        // The width is read off the first convolution, whose other dimensions are
        // fixed ([w, 1, 4, 4] in G, [w, 3, 4, 4] in D): a tensor of another shape
        // (permuted, say) is reported as that shape, not as a wrong base width.
        for (name, inputs) in [("down1.conv.weight", 1), ("layer1.conv.weight", 3)] {
            guard let s = shapes[name] else { continue }
            guard s.count == 4, s[0] > 0, s[1] == inputs, s[2] == 4, s[3] == 4 else {
                throw ModelFileError("\(source): \(name) has shape \(s), expected [width, \(inputs), 4, 4]")
            }
            width = s[0]
            break
        }
        let temporal: ModelConfig.Temporal = shapes.keys.contains { $0.hasPrefix("lstm.") } ? .lstm : .none
        if let stored {
            if let w = stored.baseWidth, let width, w != width {
                throw ModelFileError("\(source): the stored configuration says base width \(w) but the tensors have \(width)")
            }
            if let t = stored.temporal, hasGenerator, t != temporal {
                throw ModelFileError("\(source): the stored configuration says temporal \(t.rawValue) but the file "
                                     + (temporal == .lstm ? "has" : "has no") + " lstm.* tensors")
            }
        }
        guard let baseWidth = width ?? stored?.baseWidth else {
            throw ModelFileError("\(source): cannot tell the model's width: no down1.conv.weight or layer1.conv.weight tensor")
        }
        let config = ModelConfig(baseWidth: baseWidth, temporal: stored?.temporal ?? temporal,
                                 size: stored?.size ?? 128)
        do { try config.validate() } catch { throw ModelFileError("\(source): \(error)") }
        return config
    }

    /// Every way these tensors fail to fill `networks` exactly: missing,
    /// mis-shaped and non-float32 tensors of the networks, and tensors that
    /// belong to neither (tensors of `tolerated`, e.g. the discriminator when
    /// only the generator is wanted, are skipped rather than reported).
    func problems(filling networks: [ParameterSet], tolerated: (String) -> Bool = { _ in false }) -> [String] {
        var problems: [String] = []
        var expected = Set<String>()
        for set in networks {
            for p in set.entries {
                expected.insert(p.name)
                guard let shape = shapes[p.name] else {
                    problems.append("missing \(p.name)")
                    continue
                }
                if shape != p.shape { problems.append("\(p.name) has shape \(shape), expected \(p.shape)") }
                if let dtype = dtypes[p.name], dtype != "F32" { problems.append("\(p.name) is \(dtype), expected F32") }
            }
        }
        for name in shapes.keys.sorted() where !expected.contains(name) {
            if Self.isBatchCounter(name) || tolerated(name) { continue }
            problems.append("unexpected \(name)")
        }
        return problems
    }

    /// Throws one error listing up to ten offenders.
    static func report(_ problems: [String], source: String, model: ModelConfig) throws {
        guard !problems.isEmpty else { return }
        let shown = problems.prefix(10).joined(separator: "; ")
        let more = problems.count > 10 ? "; and \(problems.count - 10) more" : ""
        throw ModelFileError("\(source) does not match a base-width-\(model.baseWidth) \(model.temporal.rawValue) model "
                             + "(\(problems.count) problem\(problems.count == 1 ? "" : "s")): \(shown)\(more)")
    }
}
