import Foundation
import Net
import TestSupport
import XCTest
@testable import ModelFiles

func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

final class ConvertTests: XCTestCase {
    func testTorchSavedFileLoadsWithConfigurationInferred() throws {
        let path = colorizeFixture("tiny-lstm.safetensors")
        let file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: path))
        XCTAssertTrue(file.metadata.isEmpty, "the fixture is a bare torch-saved file")
        XCTAssertEqual(file.info("down2.bn.num_batches_tracked")?.dtype, "I64")
        let model = try ModelFile.load(path)
        XCTAssertEqual(model.config.baseWidth, 2)
        XCTAssertEqual(model.config.temporal, .lstm)
        XCTAssertEqual(model.config.size, 128)
        XCTAssertFalse(model.generator.training)
        for p in model.generator.parameters.entries {
            XCTAssertEqual(bits(Array(p.values)), bits(try file.floats(p.name)), p.name)
        }
        let none = try ModelFile.load(colorizeFixture("tiny-none.safetensors"))
        XCTAssertEqual(none.config.temporal, .none)
        XCTAssertNil(none.generator.parameters["lstm.weight_ih"])
    }

    func testRoundTripThroughACheckpointIsBitExact() throws {
        let dir = try makeScratchDirectory()
        let original = colorizeFixture("tiny-all.safetensors")
        let h5 = dir + "/model.h5", back = dir + "/back.safetensors", again = dir + "/again.h5"
        let s1 = try ModelConverter.convert(original, to: h5, contents: .all)
        XCTAssertEqual(s1.skipped.count, 14, "the BN counters of 11 + 3 BatchNorms: \(s1.skipped)")
        XCTAssertTrue(s1.skipped.allSatisfy { $0.hasSuffix("num_batches_tracked") })
        try ModelConverter.convert(h5, to: back, contents: .all)
        let a = try SafeTensors.load(contentsOf: URL(fileURLWithPath: original))
        let b = try SafeTensors.load(contentsOf: URL(fileURLWithPath: back))
        let floatNames = a.names.filter { a.info($0)?.dtype == "F32" }
        XCTAssertEqual(Set(b.names), Set(floatNames), "exactly the names of docs/format.md §Tensor names")
        for name in floatNames {
            XCTAssertEqual(b.shape(name), a.shape(name), name)
            XCTAssertEqual(bits(try b.floats(name)), bits(try a.floats(name)), name)
        }
        let stored = try XCTUnwrap(b.metadata[SafeTensorsStore.configKey])
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(stored.utf8)),
                       ModelConfig(baseWidth: 2, temporal: .lstm, size: 128))

        // And back again: the checkpoint loads (as colorize and train --init read it) to the same values.
        try ModelConverter.convert(back, to: again, contents: .all)
        let model = try ModelFile.load(again, discriminator: true)
        for set in [model.generator.parameters, try XCTUnwrap(model.discriminator).parameters] {
            for p in set.entries { XCTAssertEqual(bits(Array(p.values)), bits(try a.floats(p.name)), p.name) }
        }
    }

    func testTrainerCheckpointToSafeTensorsKeepsEveryValue() throws {
        let dir = try makeScratchDirectory()
        var rng = RandomGenerator(seed: 5)
        let config = ModelConfig(baseWidth: 2, temporal: .none, size: 256)
        let g = try Generator(config: config, rng: &rng)
        let d = try Discriminator(config: config, rng: &rng)
        for i in 0..<g.parameters.bufferValues.count { g.parameters.bufferValues[i] = Float(i) * 0.001 }
        let state = TrainingState(step: 40, epoch: 1, cursor: SamplerCursor(epoch: 1, stepInEpoch: 3),
                                  stepsPerEpoch: 37, worldSize: 2, rngState: rng.stateWords,
                                  generatorAdamSteps: 40, discriminatorAdamSteps: 40)
        let h5 = dir + "/step-00000040.h5"
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: d.parameters),
                             configuration: #"{"model":{"baseWidth":2,"temporal":"none","size":256},"batch":4}"#,
                             training: (state, Optimizers(generator: Adam(parameters: g.parameters),
                                                          discriminator: Adam(parameters: d.parameters))),
                             to: h5)
        let st = dir + "/g.safetensors"
        let summary = try ModelConverter.convert(h5, to: st, contents: .generator)
        XCTAssertEqual(summary.config.size, 256, "the size comes from the checkpoint's configuration")
        XCTAssertEqual(summary.config.temporal, .none)
        let file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: st))
        XCTAssertEqual(file.names, g.parameters.entries.map(\.name), "generator only, in network order")
        for p in g.parameters.entries {
            XCTAssertEqual(file.shape(p.name), p.shape)
            XCTAssertEqual(bits(try file.floats(p.name)), bits(Array(p.values)), p.name)
        }
        XCTAssertEqual(try ModelFile.load(st).config.size, 256, "the metadata carries the size")
    }

    /// The recipe a model was trained with travels with it: a checkpoint's
    /// λ, GAN weight and EMA decay reach the safetensors metadata and come back
    /// from it (they were written as the seed's defaults before), and a recipe
    /// value that is not a number is an error naming it.
    func testRecipeFieldsSurviveConversion() throws {
        let dir = try makeScratchDirectory()
        var rng = RandomGenerator(seed: 7)
        let config = ModelConfig(baseWidth: 2, temporal: .lstm)
        let g = try Generator(config: config, rng: &rng)
        let d = try Discriminator(config: config, rng: &rng)
        let h5 = dir + "/ema.h5"
        let recipe = #""lambdaL1":50,"ganWeight":0,"emaDecay":0.99,"warmupSteps":10,"learningRate":0.0001"#
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: d.parameters),
                             configuration: #"{"model":{"baseWidth":2,"temporal":"lstm","size":128,"# + recipe + "}}",
                             to: h5)
        let st = dir + "/ema.safetensors"
        let summary = try ModelConverter.convert(h5, to: st, contents: .generator)
        let expected = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128, lambdaL1: 50, learningRate: 1e-4,
                                   ganWeight: 0, warmupSteps: 10, emaDecay: 0.99)
        XCTAssertEqual(summary.config, expected)
        let stored = try XCTUnwrap(SafeTensors.load(contentsOf: URL(fileURLWithPath: st)).metadata[SafeTensorsStore.configKey])
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(stored.utf8)), expected)
        XCTAssertEqual(try ModelFile.load(st).config, expected, "and read back from the safetensors file")
        // The recipe says emaDecay 0.99, the file holds no average: what it holds is what is verified.
        let back = dir + "/back.h5"
        try ModelConverter.convert(st, to: back, contents: .generator)
        for file in [h5, back] {
            let opened = try ModelFile.open(file)
            defer { opened.close() }
            XCTAssertNoThrow(try opened.verify(), file)
        }

        let bad = dir + "/bad.h5"
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: d.parameters),
                             configuration: #"{"model":{"baseWidth":2,"temporal":"lstm","emaDecay":"high"}}"#, to: bad)
        XCTAssertThrowsError(try ModelFile.load(bad)) { error in
            XCTAssertEqual("\(error)", "\(bad): the stored configuration's emaDecay is not a valid model setting")
        }
    }

    func testGeneratorOnlyLeavesTheDiscriminatorOut() throws {
        let dir = try makeScratchDirectory()
        let h5 = dir + "/g.h5"
        let s = try ModelConverter.convert(colorizeFixture("tiny-all.safetensors"), to: h5, contents: .generator)
        XCTAssertTrue(s.skipped.contains("head.weight"))
        XCTAssertThrowsError(try ModelFile.load(h5, discriminator: true)) { error in
            XCTAssertTrue("\(error)".contains("has no discriminator"), "\(error)")
        }
        XCTAssertNoThrow(try ModelFile.load(h5))
    }

    func testMissingMisshapenAndUnknownTensorsAreListed() throws {
        let dir = try makeScratchDirectory()
        let source = try SafeTensors.load(contentsOf: URL(fileURLWithPath: colorizeFixture("tiny-lstm.safetensors")))
        var arrays: [(String, [Int], [Float])] = []
        for name in source.names where source.info(name)?.dtype == "F32" && name != "up1.conv.bias" {
            var shape = source.shape(name)!
            if name == "down2.conv.weight" { shape = [shape[1], shape[0], shape[2], shape[3]] }
            arrays.append((name, shape, try source.floats(name)))
        }
        arrays.append(("decoder.extra", [3], [1, 2, 3]))
        let bad = dir + "/bad.safetensors"
        try write(arrays, to: bad)
        XCTAssertThrowsError(try ModelConverter.convert(bad, to: dir + "/bad.h5", contents: .generator)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("up1.conv.bias is missing"), message)
            XCTAssertTrue(message.contains("down2.conv.weight has shape [2, 4, 4, 4], the model needs [4, 2, 4, 4]"), message)
            XCTAssertTrue(message.contains("decoder.extra is not in the model"), message)
            XCTAssertTrue(message.contains("does not match the model (base width 2, temporal lstm; 3 problems): "), message)
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.h5"))

        // A generator-only file cannot give `all`.
        let generatorOnly = colorizeFixture("tiny-lstm.safetensors")
        XCTAssertThrowsError(try ModelConverter.convert(generatorOnly, to: dir + "/x.h5", contents: .all)) { error in
            XCTAssertEqual("\(error)", "\(generatorOnly): has no discriminator (a generator-only file)")
        }
    }

    func testStoredConfigurationMustAgreeWithTheTensors() throws {
        let dir = try makeScratchDirectory()
        let source = try SafeTensors.load(contentsOf: URL(fileURLWithPath: colorizeFixture("tiny-none.safetensors")))
        var arrays: [(String, [Int], [Float])] = []
        for name in source.names where source.info(name)?.dtype == "F32" {
            arrays.append((name, source.shape(name)!, try source.floats(name)))
        }
        let wide = dir + "/wide.safetensors"
        try write(arrays, metadata: ["config": #"{"baseWidth":4}"#], to: wide)
        XCTAssertThrowsError(try ModelFile.load(wide)) { XCTAssertTrue("\($0)".contains("base width 4"), "\($0)") }
        let lstm = dir + "/lstm.safetensors"
        try write(arrays, metadata: ["config": #"{"temporal":"lstm"}"#], to: lstm)
        XCTAssertThrowsError(try ModelFile.load(lstm)) { XCTAssertTrue("\($0)".contains("no lstm.*"), "\($0)") }
        let odd = dir + "/odd.safetensors"
        try write(arrays, metadata: ["config": #"{"size":100}"#], to: odd)
        XCTAssertThrowsError(try ModelFile.load(odd)) { XCTAssertTrue("\($0)".contains("multiple of 128"), "\($0)") }
    }

    /// Each bad conversion throws one line that names the file it is about.
    func testBadArgumentsAreOneLineErrors() throws {
        let dir = try makeScratchDirectory()
        let input = colorizeFixture("tiny-lstm.safetensors")
        let notHDF5 = dir + "/text.h5"
        try "hello".write(toFile: notHDF5, atomically: true, encoding: .utf8)
        for (from, to, names, fragment) in [
            (input, dir + "/x.safetensors", dir + "/x.safetensors", ""),
            (input, dir + "/x.pt", dir + "/x.pt", ""),
            (dir + "/none.h5", dir + "/x.safetensors", dir + "/none.h5", "no such model file"),
            (notHDF5, dir + "/x.safetensors", notHDF5, ""),
        ] {
            XCTAssertThrowsError(try ModelConverter.convert(from, to: to, contents: .generator), "\(from) → \(to)") {
                let text = "\($0)"
                XCTAssertFalse(text.isEmpty)
                XCTAssertFalse(text.contains("\n"), "not one line: \(text)")
                XCTAssertTrue(text.contains(names), "does not name \(names): \(text)")
                if !fragment.isEmpty { XCTAssertTrue(text.contains(fragment), "\(text)") }
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.safetensors"), "nothing written")
    }

    /// Random byte flips and truncations of a real file: every outcome is a
    /// loaded model or a thrown error, never a trap.
    func testCorruptedFilesNeverTrap() throws {
        let dir = try makeScratchDirectory()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: colorizeFixture("tiny-lstm.safetensors"))))
        let headerLength = Int(original[0]) | Int(original[1]) << 8 | Int(original[2]) << 16
        var state: UInt64 = 0x1234_5678
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var rejected = 0
        for trial in 0..<120 {
            var bytes = original
            switch trial % 3 {
            case 0: bytes = Array(bytes.prefix(next(headerLength + 64)))
            case 1:
                for _ in 0..<(1 + next(4)) { bytes[next(8 + headerLength)] = UInt8(next(256)) }
            default:
                bytes[next(8)] = UInt8(next(256))
            }
            let path = dir + "/fuzz-\(trial).safetensors"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do { _ = try ModelFile.load(path) } catch { rejected += 1 }
        }
        XCTAssertGreaterThan(rejected, 60, "most corruptions of the header must be caught")
    }

    private func write(_ arrays: [(String, [Int], [Float])], metadata: [String: String] = [:], to path: String) throws {
        var buffers: [UnsafeMutableBufferPointer<Float>] = []
        defer { buffers.forEach { $0.deallocate() } }
        var entries: [SafeTensors.Entry] = []
        for (name, shape, values) in arrays {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
            _ = b.initialize(from: values)
            buffers.append(b)
            entries.append((name: name, shape: shape, values: UnsafeBufferPointer(b)))
        }
        try SafeTensors.write(entries, metadata: metadata, to: URL(fileURLWithPath: path))
    }
}
