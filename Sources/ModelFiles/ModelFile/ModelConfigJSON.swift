import Foundation
import Net

/// Reads the model configuration out of the JSON texts files carry it in.
///
/// - Our own safetensors metadata and converted checkpoints: `ModelConfig`'s
///   `Codable` form (`baseWidth`, `temporal`, `size`, …).
/// - The trainer's checkpoint `configuration` attribute: the run's options with
///   the model's under a `model` key (the top level is tried when there is none).
/// - PyTorch-side files (tools/make_golden.py): snake_case `base_width`.
///
/// The fields that shape the network (base width, temporal, size) are read
/// here one by one: `ModelConfig`'s own decoder would quietly default a
/// misspelt key to the seed's 64 channels, so the width is looked up under
/// both spellings and its absence is reported rather than guessed. The
/// training recipe the file was made with (λ, GAN weight, EMA decay, …) is
/// kept as `ModelConfig`'s decoder reads it, so that convert writes what the
/// run used, not the seed's defaults.
enum ModelConfigJSON {
    struct Partial: Equatable {
        var baseWidth: Int?
        var temporal: ModelConfig.Temporal?
        var size: Int?
        /// The whole stored configuration as `ModelConfig` decodes it: the
        /// recipe fields as stored, any absent one the seed's.
        var recipe = ModelConfig()
    }

    static func parse(_ text: String, source: String) throws -> Partial {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              var dictionary = object as? [String: Any]
        else { throw ModelFileError("\(source): the stored configuration is not a JSON object") }
        if let model = dictionary["model"] as? [String: Any] { dictionary = model }
        // Exactly an integer or an error: intValue would quietly turn 4.7 into 4 and 1e30 into 0.
        func int(_ keys: String...) throws -> Int? {
            for key in keys {
                guard let value = dictionary[key] else { continue }
                guard let n = value as? NSNumber, let i = Int(exactly: n.doubleValue) else {
                    throw ModelFileError("\(source): the stored configuration's \(key) is \(value), not an integer")
                }
                return i
            }
            return nil
        }
        var partial = Partial(baseWidth: try int("baseWidth", "base_width"), temporal: nil, size: try int("size"))
        if let t = dictionary["temporal"] {
            guard let s = t as? String, let temporal = ModelConfig.Temporal(rawValue: s) else {
                throw ModelFileError("\(source): the stored configuration has temporal \(t); expected \"lstm\" or \"none\"")
            }
            partial.temporal = temporal
        }
        do {
            let model = try JSONSerialization.data(withJSONObject: dictionary)
            partial.recipe = try JSONDecoder().decode(ModelConfig.self, from: model)
        } catch {
            var key = "recipe"
            if case let DecodingError.typeMismatch(_, context) = error { key = context.codingPath.map(\.stringValue).joined(separator: ".") }
            if case let DecodingError.dataCorrupted(context) = error { key = context.codingPath.map(\.stringValue).joined(separator: ".") }
            throw ModelFileError("\(source): the stored configuration's \(key) is not a valid model setting")
        }
        return partial
    }

    /// The text we store: `ModelConfig` as JSON, keys sorted.
    static func text(_ config: ModelConfig) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(config)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
