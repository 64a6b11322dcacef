import Foundation
import XCTest

/// A PyTorch reference written by tools/make_layer_fixtures.py: raw little-endian
/// float32 tensors (`<name>.bin`) described by a JSON header (`<name>.json`).
struct LayerFixture {
    private struct Header: Decodable {
        struct Entry: Decodable { var name: String; var shape: [Int]; var offset: Int }
        var tensors: [Entry]
    }

    private var floats: [Float]
    private var entries: [String: Header.Entry] = [:]
    let json: [String: Any]

    init(_ name: String) throws {
        guard let headerURL = Bundle.module.url(forResource: name, withExtension: "json",
                                                subdirectory: "Fixtures/layers"),
              let dataURL = Bundle.module.url(forResource: name, withExtension: "bin",
                                              subdirectory: "Fixtures/layers")
        else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/layers/\(name)"]) }
        let headerData = try Data(contentsOf: headerURL)
        let header = try JSONDecoder().decode(Header.self, from: headerData)
        json = try JSONSerialization.jsonObject(with: headerData) as? [String: Any] ?? [:]
        let data = try Data(contentsOf: dataURL)
        floats = data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        for e in header.tensors { entries[e.name] = e }
    }

    /// The named tensor's values (flattened, row-major).
    func values(_ name: String) -> [Float] {
        guard let e = entries[name] else { XCTFail("fixture has no tensor \(name)"); return [] }
        let count = e.shape.reduce(1, *)
        return Array(floats[e.offset..<(e.offset + count)])
    }

    func shape(_ name: String) -> [Int] { entries[name]?.shape ?? [] }

    func int(_ key: String) -> Int { json[key] as? Int ?? -1 }
}

/// Element-wise comparison with a tolerance relative to the reference's magnitude.
func XCTAssertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ label: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
    var worst: Float = 0, worstIndex = 0
    for i in 0..<min(actual.count, expected.count) {
        let err = abs(actual[i] - expected[i]) / max(1, abs(expected[i]))
        if !(err <= worst) { worst = err; worstIndex = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance,
                             "\(label)[\(worstIndex)]: \(actual.isEmpty ? 0 : actual[worstIndex]) vs \(expected.isEmpty ? 0 : expected[worstIndex])",
                             file: file, line: line)
}
