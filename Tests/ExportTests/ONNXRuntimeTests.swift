import Foundation
import Net
import TestSupport
import XCTest
@testable import ModelFiles

/// ONNX Runtime runs the exported generator as vcolor runs its own: through
/// a shot fed in two calls (state carried), a cut (state zeroed), and two
/// streams at once, both variants, within `tolerance` (max abs). The ONNX
/// checker's full check passes first (tools/onnx_run.py).
///
/// The live comparison needs Python (tools/setup-export-venv.sh). Without it
/// (CI) `testMatchesRecordedONNXRuntimeOutput` still holds the export to ONNX
/// Runtime: the ONNX file written now must be byte for byte the one whose
/// outputs ONNX Runtime recorded in Fixtures/onnx (the live test records them
/// again with VCOLOR_RECORD_EXPORT_FIXTURES=1), and vcolor's generator must
/// match those outputs.
final class ONNXRuntimeTests: XCTestCase {
    /// Max abs difference of a*b* (normalised, in [−1, 1]) allowed between
    /// ONNX Runtime and vcolor: float32 arithmetic in another order (MLAS's
    /// convolutions and LSTM against OpenBLAS's GEMMs) differs by ~1e-6 here.
    static let tolerance: Float = 1e-4

    struct Call: Codable {
        var first: Int, count: Int, streams: Int, reset: Bool
    }

    /// Frames 0–2 are one shot fed as 2 + 1 (state carried), 3–4 a new shot
    /// after a cut, 5–8 two streams of 2 frames fed together.
    static let calls = [Call(first: 0, count: 2, streams: 1, reset: true), Call(first: 2, count: 1, streams: 1, reset: false),
                        Call(first: 3, count: 2, streams: 1, reset: true), Call(first: 5, count: 4, streams: 2, reset: true)]
    static let frameCount = 9
    /// Every `fixtureStride`-th output value is kept in the fixture (its size stays small).
    static let fixtureStride = 16

    static func frames(size: Int = 128) -> [Float] {
        var rng = RandomGenerator(seed: 11)
        return (0..<(frameCount * size * size)).map { _ in 2 * rng.nextUniform() - 1 }
    }

    /// vcolor's own outputs for `calls`: one `GeneratorStream` per stream,
    /// reset where a call starts a shot, as colorize carries the state.
    static func vcolorOutputs(_ g: Generator, frames: [Float]) -> [Float] {
        let streams = [GeneratorStream(g), GeneratorStream(g)]
        let size = g.config.size, plane = size * size
        var out: [Float] = []
        for call in calls {
            let T = call.count / call.streams
            for b in 0..<call.streams {
                if call.reset { streams[b].reset() }
                let first = call.first + b * T
                let L = Tensor(Shape(T, 1, size, size), Array(frames[(first * plane)..<((first + T) * plane)]))
                let ab = streams[b].forward(L: L, frames: T)
                out += UnsafeBufferPointer(start: ab.data, count: ab.count)
            }
        }
        return out
    }

    /// The comparison means something only where the outputs do: a*b* spread
    /// over much of [−1, 1], and (LSTM) frame 2's output depending on the
    /// state carried from frames 0–1, far beyond the tolerance.
    func checkOutputsAreSensitive(_ g: Generator, _ outputs: [Float], frames: [Float]) {
        let mean = outputs.reduce(0, +) / Float(outputs.count)
        let deviation = (outputs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(outputs.count)).squareRoot()
        XCTAssertGreaterThan(deviation, 0.1, "\(g.config.temporal): outputs barely vary")
        guard g.config.temporal == .lstm else { return }
        let stream = GeneratorStream(g), plane = g.config.size * g.config.size
        let frame2 = Tensor(Shape(1, 1, g.config.size, g.config.size), Array(frames[(2 * plane)..<(3 * plane)]))
        let fresh = stream.forward(L: frame2, frames: 1)
        let withoutState = Array(UnsafeBufferPointer(start: fresh.data, count: fresh.count))
        let carried = Array(outputs[(4 * plane)..<(6 * plane)])   // frame 2's a*b*: after frames 0 and 1's
        XCTAssertGreaterThan(Self.maxDifference(withoutState, carried), 100 * Self.tolerance,
                             "the state carried into frame 2 does not change its output")
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) against \(b.count) values")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// ONNX Runtime's outputs for `calls` on `model`, through tools/onnx_run.py.
    static func onnxRuntimeOutputs(model: String, size: Int, frames: [Float], dir: String) throws -> [Float] {
        let python = try ExportPython.python(["onnxruntime", "onnx"])
        let framesPath = dir + "/frames.f32", outputPath = dir + "/ab.f32", specPath = dir + "/spec.json"
        try frames.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: framesPath)) }
        let spec: [String: Any] = ["model": model, "frames": framesPath, "size": size, "output": outputPath,
                                   "calls": calls.map { ["first": $0.first, "count": $0.count, "streams": $0.streams, "reset": $0.reset] }]
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let report = try ExportPython.run(python, "onnx_run.py", [specPath])
        XCTAssertTrue(report.contains("full check passed") && report.contains("\"opset\": [17]"), report)
        let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func fixtureDirectory() -> URL {
        sharedFixture("ExportTests", "onnx")
    }

    func testONNXRuntimeMatchesVcolorThroughACut() throws {
        let dir = try makeScratchDirectory()
        let frames = Self.frames()
        for temporal in ModelConfig.Temporal.allCases {
            let g = try seededGenerator(temporal)
            let (path, _) = try exportedModel(g, dir: dir)
            let onnx = try Self.onnxRuntimeOutputs(model: path, size: 128, frames: frames, dir: dir)
            let ours = Self.vcolorOutputs(g, frames: frames)
            checkOutputsAreSensitive(g, ours, frames: frames)
            let difference = Self.maxDifference(onnx, ours)
            XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(temporal): max |ONNX Runtime − vcolor|")
            print("ONNX Runtime against vcolor, tiny seeded \(temporal.rawValue): max abs difference \(difference)")
            if ProcessInfo.processInfo.environment["VCOLOR_RECORD_EXPORT_FIXTURES"] != nil {
                let fixtures = Self.fixtureDirectory()
                try? FileManager.default.removeItem(at: fixtures.appendingPathComponent("tiny-\(temporal.rawValue).onnx"))
                try FileManager.default.copyItem(atPath: path, toPath: fixtures.appendingPathComponent("tiny-\(temporal.rawValue).onnx").path)
                let kept = stride(from: 0, to: onnx.count, by: Self.fixtureStride).map { onnx[$0] }
                try kept.withUnsafeBytes { try Data($0).write(to: fixtures.appendingPathComponent("tiny-\(temporal.rawValue).ort.f32")) }
            }
        }
    }

    /// The same for real model files named in $VCOLOR_EXPORT_MODELS (paths
    /// separated by ':', e.g. the shipped models/vcolor-b16-lstm.safetensors).
    func testONNXRuntimeMatchesVcolorOnModelFiles() throws {
        guard let list = ProcessInfo.processInfo.environment["VCOLOR_EXPORT_MODELS"] else {
            throw XCTSkip("VCOLOR_EXPORT_MODELS names no model files to compare")
        }
        let dir = try makeScratchDirectory()
        for path in list.split(separator: ":").map(String.init) {
            let model = try ModelFile.load(path)
            let onnxPath = dir + "/model.onnx"
            try ModelConverter.convert(path, to: onnxPath, contents: .generator)
            let frames = Self.frames(size: model.config.size)
            let onnx = try Self.onnxRuntimeOutputs(model: onnxPath, size: model.config.size, frames: frames, dir: dir)
            let difference = Self.maxDifference(onnx, Self.vcolorOutputs(model.generator, frames: frames))
            XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(path): max |ONNX Runtime − vcolor|")
            print("ONNX Runtime against vcolor, \(path): max abs difference \(difference)")
        }
    }

    func testMatchesRecordedONNXRuntimeOutput() throws {
        let dir = try makeScratchDirectory()
        let frames = Self.frames()
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "onnx", withExtension: nil, subdirectory: "Fixtures"))
        for temporal in ModelConfig.Temporal.allCases {
            let g = try seededGenerator(temporal)
            let (path, _) = try exportedModel(g, dir: dir)
            let recorded = try Data(contentsOf: fixtures.appendingPathComponent("tiny-\(temporal.rawValue).onnx"))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), recorded,
                           "\(temporal): the export changed; re-record with VCOLOR_RECORD_EXPORT_FIXTURES=1 (Fixtures/onnx)")
            let onnx = try Data(contentsOf: fixtures.appendingPathComponent("tiny-\(temporal.rawValue).ort.f32"))
                .withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let ours = Self.vcolorOutputs(g, frames: frames)
            checkOutputsAreSensitive(g, ours, frames: frames)
            let kept = stride(from: 0, to: ours.count, by: Self.fixtureStride).map { ours[$0] }
            XCTAssertLessThanOrEqual(Self.maxDifference(onnx, kept), Self.tolerance, "\(temporal): max |ONNX Runtime − vcolor|")
        }
    }
}
