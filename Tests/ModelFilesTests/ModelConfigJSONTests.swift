import Foundation
import Net
import XCTest
@testable import ModelFiles

/// The configuration stored in a model file is read strictly: a width or size
/// that is not exactly an integer is an error, never truncated or wrapped.
final class ModelConfigJSONTests: XCTestCase {
    func testIntegersAreRead() throws {
        let p = try ModelConfigJSON.parse(#"{"model":{"base_width":8,"size":256,"temporal":"none"}}"#, source: "f")
        // The recipe is ModelConfig's own decoding of the same object: it knows no
        // snake_case width, so only the strict fields above carry base_width.
        XCTAssertEqual(p, .init(baseWidth: 8, temporal: ModelConfig.Temporal.none, size: 256,
                                recipe: ModelConfig(temporal: .none, size: 256)))
        let recipe = try ModelConfigJSON.parse(#"{"baseWidth":2,"ganWeight":0,"emaDecay":0.99}"#, source: "f").recipe
        XCTAssertEqual(recipe, ModelConfig(baseWidth: 2, ganWeight: 0, emaDecay: 0.99))
        XCTAssertEqual(try ModelConfigJSON.parse(#"{"baseWidth":16.0}"#, source: "f").baseWidth, 16)
    }

    func testNonIntegersAreErrors() {
        for (text, shown) in [(#"{"size":1e30}"#, "size"), (#"{"baseWidth":4.7}"#, "baseWidth"),
                              (#"{"base_width":"64"}"#, "base_width")] {
            XCTAssertThrowsError(try ModelConfigJSON.parse(text, source: "m.safetensors"), text) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.hasPrefix("m.safetensors: the stored configuration's \(shown) is "), message)
                XCTAssertTrue(message.hasSuffix(", not an integer"), message)
            }
        }
    }
}
