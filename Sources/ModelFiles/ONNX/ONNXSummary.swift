import Foundation
import Net

/// `vcolor inspect model.onnx`: what an ONNX model holds and how to call it.
public struct ONNXSummary {
    public let path: String
    public let bytes: Int
    public let irVersion: Int64
    /// (domain, version); "" is ONNX's default domain.
    public let opsets: [(domain: String, version: Int64)]
    public let producer: String
    /// Name and shape (a symbolic dimension by its name) of each input and output.
    public let inputs: [(name: String, shape: [String])]
    public let outputs: [(name: String, shape: [String])]
    /// Nodes per operator, by operator name.
    public let operators: [String: Int]
    public let initializers: Int
    public let values: Int
    /// The configuration vcolor stored (nil in a model from elsewhere), checked against the weights.
    public let config: ModelConfig?

    public init(_ path: String) throws {
        let store = try ONNXStore(path)
        let model = store.model
        self.path = path
        bytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
        irVersion = model.irVersion
        opsets = model.opsetImport.map { ($0.domain, $0.version) }
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        func describe(_ v: Onnx_ValueInfoProto) -> (String, [String]) {
            (v.name, v.type.tensorType.shape.dim.map { ONNXInterface.describe($0) })
        }
        inputs = model.graph.input.map(describe)
        outputs = model.graph.output.map(describe)
        operators = model.graph.node.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
        initializers = model.graph.initializer.count
        // A damaged file's dimensions may be negative or overflow: a one-line error, never a trap.
        var total = 0
        for tensor in model.graph.initializer {
            var count = 1, overflow = tensor.dims.contains { $0 < 0 }
            for d in tensor.dims where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: Int(d)) }
            if !overflow { (total, overflow) = total.addingReportingOverflow(count) }
            guard !overflow else {
                let name = tensor.name.isEmpty ? "an unnamed initializer" : "initializer \(tensor.name)"
                throw ModelFileError("\(path): \(name) has dimensions \(tensor.dims), which no tensor can have")
            }
        }
        values = total
        config = store.storedConfiguration == nil ? nil : try store.configuration()
    }

    public var text: String {
        func signature(_ list: [(name: String, shape: [String])]) -> String {
            list.map { "\($0.name) [\($0.shape.joined(separator: ", "))]" }.joined(separator: ", ")
        }
        var lines = ["\(path): ONNX model, \(bytes) bytes, IR version \(irVersion), "
                     + opsets.map { "opset \($0.version)\($0.domain.isEmpty ? "" : " (\($0.domain))")" }.joined(separator: ", ")
                     + (producer.isEmpty ? "" : ", from \(producer)")]
        if let config {
            lines.append("generator: base width \(config.baseWidth), temporal \(config.temporal.rawValue), size \(config.size)")
        }
        lines.append("inputs: " + signature(inputs))
        lines.append("outputs: " + signature(outputs))
        lines.append("\(initializers) initializers, \(values) values; nodes: "
                     + operators.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    public var json: [String: Any] {
        func signature(_ list: [(name: String, shape: [String])]) -> [[String: Any]] {
            list.map { ["name": $0.name, "shape": $0.shape.map { Int($0).map { $0 as Any } ?? $0 }] }
        }
        var out: [String: Any] = [
            "path": path, "kind": "onnx", "bytes": bytes, "ir_version": irVersion,
            "opsets": opsets.map { ["domain": $0.domain, "version": $0.version] },
            "producer": producer, "inputs": signature(inputs), "outputs": signature(outputs),
            "operators": operators, "initializers": initializers, "values": values,
        ]
        if let config {
            out["config"] = ["base_width": config.baseWidth, "temporal": config.temporal.rawValue, "size": config.size]
        }
        return out
    }
}
