import Foundation
import Net
import SwiftProtobuf
import TestSupport
import XCTest
@testable import ModelFiles

/// A tiny generator (base width 2, 128² frames) with seeded weights large
/// enough that every layer matters: the initialisation of docs/model.md
/// (N(0, 0.02)) shrinks the signal to nothing by the output, where any graph
/// would agree. Convolutions get He-scaled weights, BatchNorm scales, shifts
/// and running statistics away from 1 and 0, the output layer a bias.
func seededGenerator(_ temporal: ModelConfig.Temporal, seed: UInt64 = 7) throws -> Generator {
    var rng = RandomGenerator(seed: seed)
    let g = try Generator(config: ModelConfig(baseWidth: 2, temporal: temporal, size: 128), rng: &rng)
    for p in g.parameters.entries where !p.name.hasPrefix("lstm.") {
        let name = p.name
        for i in 0..<p.count {
            if name.hasSuffix("conv.weight") {
                // Inputs per output: in·k² for a convolution, in·k²/4 for a stride-2 transposed one.
                let fanIn = name.hasPrefix("down") ? p.shape[1] * 16 : p.shape[0] * 4
                p.values[i] = rng.nextNormal() * (2 / Float(fanIn)).squareRoot()
            } else if name.hasSuffix("running_mean") || name.hasSuffix("bias") {
                p.values[i] = 0.2 * rng.nextNormal()
            } else {   // BN's weight and running_var
                p.values[i] = 0.5 + rng.nextUniform()
            }
        }
    }
    g.training = false
    return g
}

/// The ONNX model `ONNXExport` writes for `generator`, parsed back from its bytes.
func exportedModel(_ generator: Generator, dir: String) throws -> (path: String, model: Onnx_ModelProto) {
    let path = dir + "/model-\(generator.config.temporal.rawValue).onnx"
    try ONNXExport.write(config: generator.config, generator: generator.parameters, to: path)
    return (path, try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: path))))
}

final class ONNXExportTests: XCTestCase {
    func testInterfaceAndOpsetAreTheDocumentedOnes() throws {
        let dir = try makeScratchDirectory()
        for temporal in ModelConfig.Temporal.allCases {
            let (_, model) = try exportedModel(try seededGenerator(temporal), dir: dir)
            XCTAssertEqual(model.irVersion, 8)
            XCTAssertEqual(model.opsetImport.map(\.domain), [""])
            XCTAssertEqual(model.opsetImport.map(\.version), [17])
            let lstm = temporal == .lstm
            XCTAssertEqual(model.graph.input.map(\.name), lstm ? ["L", "state_h", "state_c"] : ["L"])
            XCTAssertEqual(model.graph.output.map(\.name), lstm ? ["ab", "state_h_out", "state_c_out"] : ["ab"])
            func shape(_ v: Onnx_ValueInfoProto) -> [String] {
                v.type.tensorType.shape.dim.map { ONNXInterface.describe($0) }
            }
            XCTAssertEqual(shape(model.graph.input[0]), ["frames", "1", "128", "128"])
            XCTAssertEqual(shape(model.graph.output[0]), ["frames", "2", "128", "128"])
            if lstm {
                // H = 8w = 16 hidden units at the 1×1 bottleneck of 128² frames.
                for v in model.graph.input.dropFirst() + model.graph.output.dropFirst() {
                    XCTAssertEqual(shape(v), ["streams", "16", "1", "1"], v.name)
                }
                XCTAssertEqual(model.graph.node.filter { $0.opType == "LSTM" }.count, 1, "ONNX's own LSTM operator")
            }
            XCTAssertEqual(model.graph.node.filter { $0.opType == "Conv" }.count, 7)
            XCTAssertEqual(model.graph.node.filter { $0.opType == "ConvTranspose" }.count, 7)
            XCTAssertEqual(model.graph.node.filter { $0.opType == "BatchNormalization" }.count, 11)
            let config = try XCTUnwrap(model.metadataProps.first { $0.key == "vcolor.config" }?.value)
            XCTAssertTrue(config.contains("\"temporal\":\"\(temporal.rawValue)\""), config)
        }
    }

    /// Every tensor of the generator is an initializer holding the same bits;
    /// the LSTM's are PyTorch's gate blocks i, f, g, o moved to ONNX's i, o, f, c.
    func testInitializersAreTheModelsWeightsBitForBit() throws {
        let dir = try makeScratchDirectory()
        let g = try seededGenerator(.lstm)
        let (_, model) = try exportedModel(g, dir: dir)
        var initializers: [String: [Float]] = [:]
        for t in model.graph.initializer where t.dataType == 1 {
            var values = [Float](repeating: .nan, count: t.dims.reduce(1) { $0 * Int($1) })
            try values.withUnsafeMutableBufferPointer { try ONNXStore.floats(of: t, into: $0, path: "model") }
            initializers[t.name] = values
        }
        var checked = Set<String>()
        for p in g.parameters.entries where !p.name.hasPrefix("lstm.") {
            XCTAssertEqual(try XCTUnwrap(initializers[p.name], p.name).map(\.bitPattern), p.values.map(\.bitPattern), p.name)
            checked.insert(p.name)
        }
        /// Gate block `k` (i, f, g, o) of a PyTorch tensor, as bits.
        func block(_ name: String, _ k: Int) -> [UInt32] {
            let v = g.parameters[name]!.values, n = v.count / 4
            return v[(k * n)..<((k + 1) * n)].map(\.bitPattern)
        }
        /// Block `k` of an ONNX initializer that holds `parts` tensors side by side.
        func onnxBlock(_ name: String, part: Int, of parts: Int, _ k: Int) throws -> [UInt32] {
            let v = try XCTUnwrap(initializers[name], name), n = v.count / (4 * parts), start = (4 * part + k) * n
            return v[start..<(start + n)].map(\.bitPattern)
        }
        let onnxOrder = [0, 3, 1, 2]   // i, o, f, c ← PyTorch's i=0, o=3, f=1, g=2
        for (k, torch) in onnxOrder.enumerated() {
            XCTAssertEqual(try onnxBlock("lstm.W", part: 0, of: 1, k), block("lstm.weight_ih", torch))
            XCTAssertEqual(try onnxBlock("lstm.R", part: 0, of: 1, k), block("lstm.weight_hh", torch))
            XCTAssertEqual(try onnxBlock("lstm.B", part: 0, of: 2, k), block("lstm.bias_ih", torch))
            XCTAssertEqual(try onnxBlock("lstm.B", part: 1, of: 2, k), block("lstm.bias_hh", torch))
        }
        XCTAssertEqual(Set(initializers.keys), checked.union(["lstm.W", "lstm.R", "lstm.B"]), "no other float initializer")
    }

    /// The ONNX file opens as a model file: colorize, inspect and convert read
    /// the same generator back, bit for bit.
    func testReadsBackAsAModelFile() throws {
        let dir = try makeScratchDirectory()
        for temporal in ModelConfig.Temporal.allCases {
            let g = try seededGenerator(temporal)
            let (path, _) = try exportedModel(g, dir: dir)
            let loaded = try ModelFile.load(path)
            XCTAssertEqual(loaded.config, g.config)
            XCTAssertEqual(loaded.generator.parameters.entries.map(\.name), g.parameters.entries.map(\.name))
            for (a, b) in zip(loaded.generator.parameters.entries, g.parameters.entries) {
                XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), a.name)
            }
        }
    }

    /// The seed model (base width 64) exports whole: the file holds each of
    /// its 43.9 M floats once, and the graph around them is small. How long
    /// the export takes is printed, not asserted (timings depend on the
    /// machine and its load; docs/format.md gives the measured time).
    func testSeedModelExportsEveryWeightOnce() throws {
        let dir = try makeScratchDirectory()
        var rng = RandomGenerator(seed: 1)
        let g = try Generator(config: ModelConfig(), rng: &rng)
        let started = Date()
        try ONNXExport.write(config: g.config, generator: g.parameters, to: dir + "/seed.onnx")
        let seconds = Date().timeIntervalSince(started)
        let bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dir + "/seed.onnx")[.size] as? Int)
        print(String(format: "seed model (w 64, lstm, 128²): %.2f s to write %d bytes of ONNX", seconds, bytes))
        let weights = 4 * g.parameters.entries.reduce(0) { $0 + $1.values.count }
        XCTAssertGreaterThanOrEqual(bytes, weights)
        XCTAssertLessThan(bytes, weights + weights / 100, "more than 1 % beside the weights")
    }

    func testRefusesTheDiscriminatorAndNonsense() throws {
        let dir = try makeScratchDirectory()
        let (path, _) = try exportedModel(try seededGenerator(.none), dir: dir)
        XCTAssertThrowsError(try ModelConverter.convert(path, to: dir + "/x.onnx", contents: .generator))
        let h5 = dir + "/m.h5"
        try ModelConverter.convert(path, to: h5, contents: .generator)
        XCTAssertThrowsError(try ModelConverter.convert(h5, to: dir + "/all.onnx", contents: .all)) {
            XCTAssertTrue(String(describing: $0).contains("generator only"), "\($0)")
        }
        let junk = dir + "/junk.onnx"
        try Data("not protobuf at all".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try ModelFile.load(junk)) {
            XCTAssertTrue(String(describing: $0).contains("junk.onnx"), "\($0)")
        }
    }
}
