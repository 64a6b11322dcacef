import Foundation
import TestSupport
import XCTest

/// `vcolor convert MODEL model.onnx` and `vcolor inspect model.onnx` as a user runs them.
final class ONNXCLITests: XCTestCase {
    static let shippedModel = repositoryDirectory.appendingPathComponent("models/vcolor-b16-lstm.safetensors").path

    func testConvertThenInspect() throws {
        let dir = try makeScratchDirectory()
        let onnx = dir + "/shipped.onnx"
        let convert = try runVcolor(["convert", Self.shippedModel, onnx])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertTrue(convert.stdout.contains("base width 16, temporal lstm, size 128"), convert.stdout)

        let inspect = try runVcolor(["inspect", onnx])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        for expected in ["ONNX model", "IR version 8, opset 17, from vcolor", "base width 16, temporal lstm, size 128",
                         "inputs: L [frames, 1, 128, 128], state_h [streams, 128, 1, 1], state_c [streams, 128, 1, 1]",
                         "outputs: ab [frames, 2, 128, 128], state_h_out [streams, 128, 1, 1], state_c_out [streams, 128, 1, 1]",
                         "LSTM 1", "Conv 7", "ConvTranspose 7"] {
            XCTAssertTrue(inspect.stdout.contains(expected), "\(expected) not in:\n\(inspect.stdout)")
        }
        let json = try runVcolor(["inspect", onnx, "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        XCTAssertEqual(object["kind"] as? String, "onnx")
        XCTAssertEqual((object["config"] as? [String: Any])?["base_width"] as? Int, 16)

        let junk = dir + "/junk.onnx"
        try Data(repeating: 0xFF, count: 64).write(to: URL(fileURLWithPath: junk))
        let bad = try runVcolor(["inspect", junk])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderrLines.count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("junk.onnx: not an ONNX model"), bad.stderr)

        // A well-formed ModelProto whose one initializer claims 2^40 × 2^40 values:
        // ir_version 8, graph { initializer { dims: 2^40, dims: 2^40 } }. It trapped on an overflow.
        let huge = dir + "/huge.onnx"
        let dim: [UInt8] = [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]  // field 1 (dims), varint 2^40
        let tensor = dim + dim
        let graph = [0x2A, UInt8(tensor.count)] + tensor                // field 5 (initializer)
        let model = [0x08, 0x08, 0x3A, UInt8(graph.count)] + graph       // ir_version 8, field 7 (graph)
        try Data(model).write(to: URL(fileURLWithPath: huge))
        let overflow = try runVcolor(["inspect", huge])
        XCTAssertEqual(overflow.status, 1, overflow.stderr)
        XCTAssertEqual(overflow.stderrLines.count, 1, overflow.stderr)
        XCTAssertTrue(overflow.stderr.contains("huge.onnx: an unnamed initializer has dimensions [1099511627776, 1099511627776]"),
                      overflow.stderr)
    }
}
