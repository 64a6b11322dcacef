import Foundation
import Net
import TestSupport
import XCTest
@testable import ModelFiles

/// Weights holding NaN or ±∞ are refused by every model-file reader, with
/// the names of the tensors (issue 10, "poison is rejected at the door").
final class PoisonedWeightsTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    func tinyModel() throws -> (Generator, Discriminator, ModelConfig) {
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        var rng = RandomGenerator(seed: 5)
        let m = try Pix2PixTrainer(config: config, rng: &rng)
        return (m.generator, m.discriminator, config)
    }

    /// `train --init`'s load: weights only, the format told by content.
    func loadWeights(_ path: String, _ g: Generator, _ d: Discriminator?) throws {
        try ModelFile.open(sniffing: path).loadWeights(ModelWeights(generator: g.parameters, discriminator: d?.parameters))
    }

    func testNonFiniteFindsNaNAndInfinityAnywhere() {
        var values = [Float](repeating: 1, count: 10_001)
        XCTAssertTrue(values.withUnsafeBufferPointer { NonFinite.allFinite($0) })
        for (i, bad) in [(0, Float.nan), (4096, .infinity), (10_000, -.infinity), (77, -Float.nan)] {
            values[i] = bad
            XCTAssertFalse(values.withUnsafeBufferPointer { NonFinite.allFinite($0) }, "\(bad) at \(i)")
            values[i] = 1
        }
        values[5] = .greatestFiniteMagnitude
        values[6] = .leastNonzeroMagnitude
        XCTAssertTrue(values.withUnsafeBufferPointer { NonFinite.allFinite($0) })
    }

    func testCheckpointWithNaNWeightsIsRefusedByName() throws {
        let (g, d, _) = try tinyModel()
        let weight = try XCTUnwrap(g.parameters.entries.first { $0.kind == .trainable })
        let buffer = try XCTUnwrap(d.parameters.entries.first { $0.kind == .buffer })
        weight.values[weight.count - 1] = .nan
        buffer.values[0] = .infinity
        let path = (directory as NSString).appendingPathComponent("step-00000001.h5")
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: d.parameters),
                             configuration: #"{"model":{"baseWidth":2,"temporal":"lstm","size":128}}"#, to: path)
        let (g2, d2, _) = try tinyModel()
        XCTAssertThrowsError(try loadWeights(path, g2, d2)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("NaN or infinite values in 2 tensors"), text)
            XCTAssertTrue(text.contains("/generator/\(weight.name)"), text)
            XCTAssertTrue(text.contains("/discriminator/\(buffer.name)"), text)
        }
        // Generator only: the poisoned generator weight alone.
        XCTAssertThrowsError(try loadWeights(path, g2, nil)) { error in
            XCTAssertTrue(String(describing: error).contains("in 1 tensor: /generator/\(weight.name)"), "\(error)")
        }
        // The loader colorize, eval and convert use.
        XCTAssertThrowsError(try ModelFile.load(path)) { error in
            XCTAssertTrue(String(describing: error).contains("NaN or infinite"), "\(error)")
        }
    }

    func testSafeTensorsWithInfinityIsRefusedByName() throws {
        let (g, _, _) = try tinyModel()
        let entries = g.parameters.entries
        entries[3].values[0] = -.infinity
        let path = URL(fileURLWithPath: (directory as NSString).appendingPathComponent("g.safetensors"))
        try SafeTensors.write(entries.map { (name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($0.values)) }, to: path)
        // The format holds any float; the model readers refuse it, naming the tensor as the file does.
        XCTAssertEqual(try SafeTensors.load(contentsOf: path).floats(entries[3].name)[0], -.infinity)
        let refused = "\(path.path): NaN or infinite values in 1 tensor: \(entries[3].name); refusing the weights"
        let (g2, d2, _) = try tinyModel()
        XCTAssertThrowsError(try loadWeights(path.path, g2, d2)) { error in
            XCTAssertEqual(String(describing: error), refused)
        }
        XCTAssertThrowsError(try ModelFile.load(path.path)) { error in
            XCTAssertEqual(String(describing: error), refused)
        }
        // Finite again: loads.
        entries[3].values[0] = 0
        try SafeTensors.write(entries.map { (name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($0.values)) }, to: path)
        XCTAssertNoThrow(try ModelFile.load(path.path))
    }
}
