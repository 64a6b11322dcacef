import Net

extension TensorStore {
    /// The one way values leave a model file: every section's names, shapes and
    /// types are checked first, and every way the file fails to match is listed
    /// in one error before anything is copied; then the values are read; then
    /// a non-finite one anywhere refuses the lot, naming the tensors.
    /// - Parameter model: the configuration the sections belong to, when known, for the message.
    func fill(_ sections: [TensorSection], model: ModelConfig? = nil) throws {
        var problems: [String] = []
        for section in sections {
            guard let stored = try tensors(in: section.group) else {
                problems.append("\(address(section.group, nil)) is missing")
                continue
            }
            var expected = Set<String>()
            for t in section.tensors {
                expected.insert(t.name)
                let at = address(section.group, t.name)
                guard let s = stored[t.name] else {
                    problems.append("\(at) is missing")
                    continue
                }
                if s.shape != t.shape { problems.append("\(at) has shape \(s.shape), the model needs \(t.shape)") }
                if !s.isFloat32 { problems.append("\(at) is \(s.dtype), the model needs float32") }
            }
            for name in stored.keys.sorted() where !expected.contains(name) && !TensorGroup.isBatchCounter(name) {
                problems.append("\(address(section.group, name)) is not in the model")
            }
        }
        try report(problems, model: model)

        var poisoned: [String] = []
        for section in sections {
            for t in section.tensors {
                try read(t.name, in: section.group, into: t.values)
                if !NonFinite.allFinite(UnsafeBufferPointer(t.values)) { poisoned.append(address(section.group, t.name)) }
            }
        }
        guard poisoned.isEmpty else {
            throw ModelFileError("\(path): NaN or infinite values in \(poisoned.count) tensor\(poisoned.count == 1 ? "" : "s"): "
                                 + "\(NonFinite.list(poisoned)); refusing the weights")
        }
    }

    /// Throws one error listing up to ten of `problems`.
    private func report(_ problems: [String], model: ModelConfig?) throws {
        guard !problems.isEmpty else { return }
        let shown = problems.prefix(10).joined(separator: "; ")
        let more = problems.count > 10 ? "; and \(problems.count - 10) more" : ""
        let which = model.map { "base width \($0.baseWidth), temporal \($0.temporal.rawValue); " } ?? ""
        throw ModelFileError("\(path) does not match the model (\(which)\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
                             + "\(shown)\(more)")
    }
}
