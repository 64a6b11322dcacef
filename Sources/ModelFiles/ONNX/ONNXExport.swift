import Foundation
import Net
import Storage
import SwiftProtobuf

/// The generator as an ONNX model (docs/format.md §ONNX), built from the one
/// description of the network (`Architecture`) and the generator's tensors.
///
/// Every level becomes ONNX's own operators with PyTorch's layouts, so the
/// convolution, transposed convolution and BatchNorm initializers are the
/// model's tensors under their own names, copied byte for byte. BatchNorm
/// uses the running statistics (colorize's default `--bn-statistics running`).
/// The LSTM is ONNX's `LSTM` operator over the frames of each stream, one
/// sequence per bottleneck position as in `GeneratorStream`; its tensors are
/// PyTorch's with the gate blocks reordered (`ONNXInterface.reorderGates`)
/// and the two biases side by side. The state goes in and out as image-like
/// `[B, H, s, s]` tensors, so a caller carries it through a shot and zeroes it
/// at a cut.
enum ONNXExport {
    static func model(config: ModelConfig, generator: ParameterSet) -> Onnx_ModelProto {
        var graph = GraphBuilder(parameters: generator)
        let architecture = Architecture(config)
        let s = config.size
        graph.input(ONNXInterface.input, [.symbol(ONNXInterface.framesDimension), .value(1), .value(s), .value(s)])

        var x = ONNXInterface.input
        var skips: [String] = []
        for level in architecture.encoder {
            x = graph.level(level, x, skip: nil)
            skips.append(x)
        }
        if let lstm = architecture.bottleneck { x = graph.lstm(lstm, x) }
        for (i, level) in architecture.decoder.enumerated() {
            x = graph.level(level, x, skip: level.skip.map { skips[$0] },
                            output: i == architecture.decoder.count - 1 ? ONNXInterface.output : nil)
        }
        graph.output(ONNXInterface.output, [.symbol(ONNXInterface.framesDimension), .value(2), .value(s), .value(s)])
        if let lstm = architecture.bottleneck {
            for name in ONNXInterface.stateOutputs { graph.output(name, GraphBuilder.stateShape(lstm)) }
        }

        var model = Onnx_ModelProto()
        model.irVersion = ONNXInterface.irVersion
        model.opsetImport = [Onnx_OperatorSetIdProto.with { $0.domain = ""; $0.version = ONNXInterface.opset }]
        model.producerName = "vcolor"
        model.docString = "vcolor's colourising generator (docs/format.md §ONNX): L in, a*b* out"
        model.metadataProps = [Onnx_StringStringEntryProto.with {
            $0.key = ONNXInterface.configKey
            $0.value = ModelConfigJSON.text(config)
        }]
        graph.graph.name = "vcolor_generator_\(config.temporal.rawValue)"
        model.graph = graph.graph
        return model
    }

    static func write(config: ModelConfig, generator: ParameterSet, to path: String) throws {
        let bytes: Data
        do { bytes = try model(config: config, generator: generator).serializedBytes() } catch {
            throw ModelFileError("\(path): cannot encode the ONNX model: \(error)")
        }
        try AtomicFile.write(bytes, to: path)
    }
}

/// An ONNX graph under construction: nodes in order, initializers copied from
/// the generator's tensors.
private struct GraphBuilder {
    enum Dimension {
        case value(Int)
        case symbol(String)
    }

    var graph = Onnx_GraphProto()
    let parameters: ParameterSet

    init(parameters: ParameterSet) { self.parameters = parameters }

    mutating func input(_ name: String, _ shape: [Dimension]) { graph.input.append(Self.valueInfo(name, shape)) }
    mutating func output(_ name: String, _ shape: [Dimension]) { graph.output.append(Self.valueInfo(name, shape)) }

    static func valueInfo(_ name: String, _ shape: [Dimension]) -> Onnx_ValueInfoProto {
        Onnx_ValueInfoProto.with {
            $0.name = name
            $0.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            $0.type.tensorType.shape.dim = shape.map { d in
                Onnx_TensorShapeProto.Dimension.with {
                    switch d {
                    case .value(let v): $0.dimValue = Int64(v)
                    case .symbol(let s): $0.dimParam = s
                    }
                }
            }
        }
    }

    /// Appends a node; its output is named `output`, or `name` when nil.
    @discardableResult
    mutating func node(_ op: String, _ name: String, _ inputs: [String], outputs: [String]? = nil,
                       _ attributes: [Onnx_AttributeProto] = []) -> String {
        let outputs = outputs ?? [name]
        graph.node.append(Onnx_NodeProto.with {
            $0.opType = op
            $0.name = name
            $0.input = inputs
            $0.output = outputs
            $0.attribute = attributes
        })
        return outputs[0]
    }

    /// The model's tensor `name`, copied as a float32 initializer of its own shape.
    mutating func weight(_ name: String) -> String {
        guard let p = parameters[name] else { preconditionFailure("the generator has no tensor \(name)") }
        initializer(name, shape: p.shape, floats: UnsafeBufferPointer(p.values))
        return name
    }

    mutating func initializer(_ name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
        graph.initializer.append(Onnx_TensorProto.with {
            $0.name = name
            $0.dims = shape.map(Int64.init)
            $0.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            $0.rawData = ONNXTensorData.bytes(floats)
        })
    }

    /// A constant int64 vector (a shape for Reshape).
    mutating func constant(_ name: String, _ values: [Int]) -> String {
        graph.initializer.append(Onnx_TensorProto.with {
            $0.name = name
            $0.dims = [Int64(values.count)]
            $0.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            $0.int64Data = values.map(Int64.init)
        })
        return name
    }

    /// `[concat(x, skip)] → [activation] → Conv or ConvTranspose → [BN] → [activation]`.
    mutating func level(_ level: Architecture.Level, _ input: String, skip: String?, output: String? = nil) -> String {
        let n = level.name
        var x = input
        if let skip { x = node("Concat", n + ".concat", [x, skip], [.int("axis", 1)]) }
        if let before = level.before { x = activation(before, n + ".before", x) }
        let layer = level.layer
        var inputs = [x, weight(layer.name + ".weight")]
        if layer.bias { inputs.append(weight(layer.name + ".bias")) }
        let geometry: [Onnx_AttributeProto] = [.ints("kernel_shape", [layer.kernel, layer.kernel]),
                                               .ints("strides", [layer.stride, layer.stride]),
                                               .ints("pads", Array(repeating: layer.padding, count: 4))]
        let op = layer.kind == .convolution ? "Conv" : "ConvTranspose"
        let last = !level.norm && level.after == nil
        x = node(op, layer.name, inputs, outputs: [last ? output ?? n : layer.name], geometry)
        if level.norm {
            let bn = n + ".bn"
            x = node("BatchNormalization", bn,
                     [x] + ["weight", "bias", "running_mean", "running_var"].map { weight(bn + "." + $0) },
                     outputs: [level.after == nil ? output ?? n : bn], [.float("epsilon", Float(BatchNorm2d.epsilon))])
        }
        if let after = level.after { x = activation(after, n + ".after", x, output: output ?? n) }
        return x
    }

    mutating func activation(_ kind: Architecture.Activation, _ name: String, _ x: String, output: String? = nil) -> String {
        let outputs = [output ?? name]
        switch kind {
        case .relu: return node("Relu", name, [x], outputs: outputs)
        case .tanh: return node("Tanh", name, [x], outputs: outputs)
        case .leakyReLU(let slope): return node("LeakyRelu", name, [x], outputs: outputs, [.float("alpha", slope)])
        }
    }

    /// The bottleneck LSTM: `x` `[B·T, I, s, s]` (stream-major) becomes the
    /// sequence `[T, B·s², I]`, ONNX's LSTM runs it from the state inputs, and
    /// its output goes back to `[B·T, H, s, s]`; the last state leaves as
    /// `[B, H, s, s]`. Only Reshape and Transpose move values; B is read off
    /// the state input's shape.
    mutating func lstm(_ layer: Architecture.Layer, _ x: String) -> String {
        let I = layer.inChannels, H = layer.outChannels, side = layer.inSide, P = side * side
        for name in ONNXInterface.stateInputs { input(name, Self.stateShape(layer)) }

        // Weights: PyTorch's blocks in ONNX's gate order, with a leading direction axis.
        let G = 4 * H
        func reordered(_ names: [String], columns: Int) -> [Float] {
            var out = [Float](repeating: 0, count: names.count * G * columns)
            out.withUnsafeMutableBufferPointer { buffer in
                for (k, name) in names.enumerated() {
                    let p = parameters[name]!
                    let part = UnsafeMutableBufferPointer(rebasing: buffer[(k * G * columns)..<((k + 1) * G * columns)])
                    ONNXInterface.reorderGates(UnsafeBufferPointer(p.values), into: part, toONNX: true)
                }
            }
            return out
        }
        let n = layer.name
        for (name, source, shape) in [(ONNXInterface.lstmW, [n + ".weight_ih"], [1, G, I]),
                                      (ONNXInterface.lstmR, [n + ".weight_hh"], [1, G, H]),
                                      (ONNXInterface.lstmB, [n + ".bias_ih", n + ".bias_hh"], [1, 2 * G])] {
            let values = reordered(source, columns: shape.reduce(1, *) / (source.count * G))
            values.withUnsafeBufferPointer { initializer(name, shape: shape, floats: $0) }
        }

        // [B·T, I, s, s] → [B, T, I, P] → [T, B, P, I] → [T, B·P, I].
        let streams = node("Shape", n + ".streams", [ONNXInterface.stateInputs[0]], [.int("start", 0), .int("end", 1)])
        let split = node("Concat", n + ".split_shape", [streams, constant(n + ".shape.split", [-1, I, P])],
                         [.int("axis", 0)])
        var sequence = node("Reshape", n + ".x_btip", [x, split])
        sequence = node("Transpose", n + ".x_tbpi", [sequence], [.ints("perm", [1, 0, 3, 2])])
        sequence = node("Reshape", n + ".X", [sequence, constant(n + ".shape.sequence", [0, -1, I])])

        // State [B, H, s, s] → [B, s, s, H] → [1, B·P, H].
        let flatState = constant(n + ".shape.state", [1, -1, H])
        let initial = ONNXInterface.stateInputs.map { state in
            node("Reshape", state + ".flat", [node("Transpose", state + ".bssh", [state], [.ints("perm", [0, 2, 3, 1])]),
                                              flatState])
        }
        let outputs = [n + ".Y", n + ".Y_h", n + ".Y_c"]
        node("LSTM", n, [sequence, ONNXInterface.lstmW, ONNXInterface.lstmR, ONNXInterface.lstmB, "",
                         initial[0], initial[1]],
             outputs: outputs, [.int("hidden_size", H)])

        // Y [T, 1, B·P, H] → [T, B, P, H] → [B, T, H, P] → [B·T, H, s, s].
        var y = node("Reshape", n + ".y_tbph", [outputs[0], constant(n + ".shape.unsplit", [0, -1, P, H])])
        y = node("Transpose", n + ".y_bthp", [y], [.ints("perm", [1, 0, 3, 2])])
        y = node("Reshape", n + ".out", [y, constant(n + ".shape.images", [-1, H, side, side])])

        // Last state [1, B·P, H] → [B, s, s, H] → [B, H, s, s].
        let stateImages = constant(n + ".shape.state_images", [-1, side, side, H])
        for (last, name) in zip(outputs.dropFirst(), ONNXInterface.stateOutputs) {
            let images = node("Reshape", name + ".bssh", [last, stateImages])
            node("Transpose", name, [images], [.ints("perm", [0, 3, 1, 2])])
        }
        return y
    }

    /// The LSTM state's `[B, H, s, s]`, for inputs and outputs.
    static func stateShape(_ layer: Architecture.Layer) -> [Dimension] {
        [.symbol(ONNXInterface.streamsDimension), .value(layer.outChannels), .value(layer.inSide), .value(layer.inSide)]
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Self {
        .with { $0.name = name; $0.type = .int; $0.i = Int64(value) }
    }

    static func ints(_ name: String, _ values: [Int]) -> Self {
        .with { $0.name = name; $0.type = .ints; $0.ints = values.map(Int64.init) }
    }

    static func float(_ name: String, _ value: Float) -> Self {
        .with { $0.name = name; $0.type = .float; $0.f = value }
    }
}

/// ONNX's `raw_data`: the values as little-endian bytes.
enum ONNXTensorData {
    static func bytes(_ floats: UnsafeBufferPointer<Float>) -> Data {
        var data = Data(count: floats.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, f) in floats.enumerated() { raw.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        return data
    }

    /// The floats of little-endian `data` into `destination` (whose count the caller checked).
    static func floats(_ data: Data, into destination: UnsafeMutableBufferPointer<Float>) {
        data.withUnsafeBytes { raw in
            for i in destination.indices {
                destination[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }
}
