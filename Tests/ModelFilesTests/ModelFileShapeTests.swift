import Foundation
import Net
import TestSupport
import XCTest
@testable import ModelFiles

/// A tensor of the wrong shape is reported as that shape (issue 10, "errors
/// name the cause"), not as a model of another width.
final class ModelFileShapeTests: XCTestCase {
    func testPermutedFirstConvolutionIsReportedAsAShape() throws {
        let config = ModelConfig(baseWidth: 2, temporal: .none, size: 128)
        var rng = RandomGenerator(seed: 3)
        let g = try Generator(config: config, rng: &rng)
        let path = URL(fileURLWithPath: try makeScratchDirectory() + "/permuted.safetensors")
        let entries = g.parameters.entries.map { p -> SafeTensors.Entry in
            // down1.conv.weight [2, 1, 4, 4] written as [1, 2, 4, 4]: the same values, axes swapped.
            let shape = p.name == "down1.conv.weight" ? [p.shape[1], p.shape[0], p.shape[2], p.shape[3]] : p.shape
            return (name: p.name, shape: shape, values: UnsafeBufferPointer(p.values))
        }
        try SafeTensors.write(entries, to: path)
        XCTAssertThrowsError(try ModelFile.load(path.path)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("down1.conv.weight has shape [1, 2, 4, 4], expected [width, 1, 4, 4]"), text)
            XCTAssertFalse(text.contains("base width"), text)
        }
    }
}
