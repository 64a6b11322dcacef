import Foundation
import SwiftProtobuf

/// An ONNX model written by vcolor, opened as a model file: its float
/// initializers are the generator's tensors under docs/format.md's names, the
/// LSTM's three ONNX tensors are shown as PyTorch's four (gates reordered
/// back, biases split), and its configuration is the `vcolor.config` metadata.
/// So `colorize`, `inspect` and `convert` read it as they read safetensors.
/// It holds the generator only: no discriminator, no training state.
final class ONNXStore: TensorStore {
    let path: String
    let model: Onnx_ModelProto
    var storedConfiguration: String? {
        model.metadataProps.first { $0.key == ONNXInterface.configKey }?.value
    }
    var training: TrainingState? { nil }
    private let initializers: [String: Onnx_TensorProto]
    private let generator: [String: StoredTensor]
    /// PyTorch's LSTM tensors: the ONNX initializer each is read from, and
    /// which gate-ordered slice of it (a bias is half of `lstm.B`).
    private let lstmSources: [String: (initializer: String, half: Int?)]

    init(_ path: String) throws {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ModelFileError("\(path): cannot read: \(error.localizedDescription)")
        }
        do { model = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw ModelFileError("\(path): not an ONNX model (\(error))")
        }
        var initializers: [String: Onnx_TensorProto] = [:]
        var generator: [String: StoredTensor] = [:]
        for tensor in model.graph.initializer {
            initializers[tensor.name] = tensor
            guard tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else { continue }   // the graph's shapes
            generator[tensor.name] = StoredTensor(shape: tensor.dims.map { Int($0) }, dtype: "float32", isFloat32: true)
        }
        var sources: [String: (String, Int?)] = [:]
        if let w = generator.removeValue(forKey: ONNXInterface.lstmW), let r = generator.removeValue(forKey: ONNXInterface.lstmR),
           let b = generator.removeValue(forKey: ONNXInterface.lstmB), w.shape.count == 3, r.shape.count == 3, b.shape.count == 2 {
            generator["lstm.weight_ih"] = StoredTensor(shape: Array(w.shape.dropFirst()), dtype: "float32", isFloat32: true)
            generator["lstm.weight_hh"] = StoredTensor(shape: Array(r.shape.dropFirst()), dtype: "float32", isFloat32: true)
            for name in ["lstm.bias_ih", "lstm.bias_hh"] {
                generator[name] = StoredTensor(shape: [b.shape[1] / 2], dtype: "float32", isFloat32: true)
            }
            sources = ["lstm.weight_ih": (ONNXInterface.lstmW, nil), "lstm.weight_hh": (ONNXInterface.lstmR, nil),
                       "lstm.bias_ih": (ONNXInterface.lstmB, 0), "lstm.bias_hh": (ONNXInterface.lstmB, 1)]
        }
        self.initializers = initializers
        self.generator = generator
        lstmSources = sources
    }

    func tensors(in group: TensorGroup) -> [String: StoredTensor]? { group == .generator ? generator : nil }

    func address(_ group: TensorGroup, _ name: String?) -> String {
        name.map { "initializer \($0)" } ?? "the \(group)"
    }

    func read(_ name: String, in group: TensorGroup, into values: UnsafeMutableBufferPointer<Float>) throws {
        let source = lstmSources[name]
        guard let tensor = initializers[source?.initializer ?? name] else {
            throw ModelFileError("\(path): no initializer \(name)")
        }
        guard let source else { return try Self.floats(of: tensor, into: values, path: path) }
        // An LSTM tensor is read whole (both directions' halves, ONNX's gate order) and then reordered.
        var all = [Float](repeating: 0, count: source.half == nil ? values.count : 2 * values.count)
        try all.withUnsafeMutableBufferPointer { try Self.floats(of: tensor, into: $0, path: path) }
        let part = source.half.map { all[($0 * values.count)..<(($0 + 1) * values.count)] } ?? all[...]
        part.withUnsafeBufferPointer { ONNXInterface.reorderGates($0, into: values, toONNX: false) }
    }

    /// A float initializer's values, from `raw_data` or `float_data`, whichever it has.
    static func floats(of tensor: Onnx_TensorProto, into values: UnsafeMutableBufferPointer<Float>, path: String) throws {
        if tensor.hasRawData {
            guard tensor.rawData.count == 4 * values.count else {
                throw ModelFileError("\(path): initializer \(tensor.name) has \(tensor.rawData.count) bytes, expected \(4 * values.count)")
            }
            ONNXTensorData.floats(tensor.rawData, into: values)
        } else {
            guard tensor.floatData.count == values.count else {
                throw ModelFileError("\(path): initializer \(tensor.name) has \(tensor.floatData.count) values, expected \(values.count)")
            }
            _ = values.update(from: tensor.floatData)
        }
    }

    func close() {}
}
