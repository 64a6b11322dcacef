import XCTest
import Net
@testable import Distributed

/// The recipe options' checks (one line naming the option) and the
/// configuration a resumed run must share with its checkpoint.
final class TrainingOptionsTests: XCTestCase {
    func testRecipeOptionsAreValidatedWithTheirNames() {
        XCTAssertNoThrow(try TrainingOptions(data: "d", run: "r").validate())
        let cases: [(ModelConfig, String)] = [
            (ModelConfig(learningRate: 0), "--lr must be a number in (0, 1], got 0.0"),
            (ModelConfig(learningRate: 3), "--lr must be a number in (0, 1], got 3.0"),
            (ModelConfig(learningRate: .nan), "--lr must be a number in (0, 1], got nan"),
            (ModelConfig(beta1: 1), "--beta1 must be in [0, 1), got 1.0"),
            (ModelConfig(beta2: -0.1), "--beta2 must be in [0, 1), got -0.1"),
            (ModelConfig(lambdaL1: -1), "--lambda-l1 must be a finite number ≥ 0, got -1.0"),
            (ModelConfig(ganWeight: .nan), "--gan-weight must be a finite number ≥ 0, got nan"),
            (ModelConfig(lambdaL1: 0, ganWeight: 0), "--lambda-l1 and --gan-weight are both 0: the generator would learn nothing"),
            (ModelConfig(noganSteps: -5), "--nogan-steps must not be negative, got -5"),
            (ModelConfig(warmupSteps: -1), "--warmup-steps must not be negative, got -1"),
            (ModelConfig(emaDecay: 1), "--ema must be in [0, 1) (0 for no average), got 1.0"),
            (ModelConfig(emaDecay: .nan), "--ema must be in [0, 1) (0 for no average), got nan"),
        ]
        for (recipe, message) in cases {
            var o = TrainingOptions(data: "d", run: "r")
            o.recipe = recipe
            XCTAssertThrowsError(try o.validate(), message) { XCTAssertEqual("\($0)", message) }
        }
    }

    /// A resumed run with another recipe would silently train something else:
    /// the difference is named, field by field.
    func testAnotherRecipeIsADifferenceFromTheCheckpoint() {
        let stored = TrainingConfiguration(model: ModelConfig(baseWidth: 8), batch: 4, clip: 8, seed: 1, syncBN: false)
        var now = stored
        now.model.ganWeight = 0
        now.model.noganSteps = 50
        XCTAssertEqual(now.differences(from: stored), ["model.ganWeight: 1 in the checkpoint, 0 now",
                                                       "model.noganSteps: 0 in the checkpoint, 50 now"])
        XCTAssertEqual(stored.differences(from: stored), [])
        var augmented = stored
        augmented.augment = true
        augmented.model.emaDecay = 0.999
        XCTAssertEqual(augmented.differences(from: stored), ["augment: 0 in the checkpoint, 1 now",
                                                             "model.emaDecay: 0 in the checkpoint, 0.999 now"])
    }

    /// `--accumulate`: 1…4096, one line naming the option; part of the
    /// configuration, so a resume with another is refused unless it regroups the same shares.
    func testAccumulateIsCheckedAndStored() throws {
        for bad in [0, -1, 4097] {
            var o = TrainingOptions(data: "d", run: "r")
            o.accumulate = bad
            XCTAssertThrowsError(try o.validate()) { XCTAssertEqual("\($0)", "--accumulate must be 1…4096 micro-batches, got \(bad)") }
        }
        let stored = TrainingConfiguration(model: ModelConfig(baseWidth: 8), batch: 4, clip: 8, seed: 1, syncBN: false)
        var now = stored
        now.accumulate = 4
        XCTAssertEqual(now.differences(from: stored), ["accumulate: 1 in the checkpoint, 4 now"])
        // On a resume, ranks × accumulate decides: the same shares regrouped pass, other fields still count.
        XCTAssertEqual(now.differences(from: stored, ranks: 1, storedRanks: 4), [])
        var seed = now
        seed.seed = 2
        XCTAssertEqual(seed.differences(from: stored, ranks: 1, storedRanks: 4), ["seed: 1 in the checkpoint, 2 now"])
        XCTAssertEqual(now.differences(from: stored, ranks: 2, storedRanks: 4),
                       ["accumulate: 1 in the checkpoint, 4 now (on 2 rank(s) only --accumulate 2 keeps the checkpoint's 4 shares,"
                        + " ranks × accumulate, of a step)"])
        XCTAssertEqual(now.differences(from: stored, ranks: 2, storedRanks: 3),
                       ["accumulate: 1 in the checkpoint, 4 now (on 2 rank(s) no --accumulate keeps the checkpoint's 3 shares,"
                        + " ranks × accumulate, of a step)"])
        // Checkpoints written before the option trained with one micro-batch.
        var object = try JSONSerialization.jsonObject(with: Data(try stored.jsonText().utf8)) as! [String: Any]
        for key in ["accumulate", "lrScaling", "referenceBatch"] { XCTAssertNotNil(object.removeValue(forKey: key)) }
        XCTAssertEqual(try TrainingConfiguration.decode(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)),
                       stored)
    }

    /// The scaling rules against their definitions, and their checks.
    func testLearningRateScalingRules() throws {
        XCTAssertEqual(LearningRateScaling.none.factor(globalBatch: 64, referenceBatch: 4), 1)
        XCTAssertEqual(LearningRateScaling.linear.factor(globalBatch: 64, referenceBatch: 4), 16)
        XCTAssertEqual(LearningRateScaling.sqrt.factor(globalBatch: 64, referenceBatch: 4), 4)
        XCTAssertEqual(LearningRateScaling.sqrt.factor(globalBatch: 8, referenceBatch: 4), 2.0.squareRoot())
        XCTAssertEqual(LearningRateScaling.linear.factor(globalBatch: 2, referenceBatch: 4), 0.5)
        var o = TrainingOptions(data: "d", run: "r")
        o.batch = 2
        o.accumulate = 3
        o.lrScaling = .sqrt
        o.referenceBatch = 3
        XCTAssertEqual(o.globalBatch(worldSize: 2), 12)
        XCTAssertEqual(o.learningRateFactor(worldSize: 2), 2)
        XCTAssertNoThrow(try o.validate(worldSize: 2))
        o.referenceBatch = 0
        XCTAssertThrowsError(try o.validate()) { XCTAssertEqual("\($0)", "--reference-batch must be 1…1073741824 clips, got 0") }
        let stored = TrainingConfiguration(model: ModelConfig(baseWidth: 8), batch: 4, clip: 8, seed: 1, syncBN: false)
        var now = stored
        now.lrScaling = .sqrt
        now.referenceBatch = 8
        XCTAssertEqual(now.differences(from: stored), ["lrScaling: none in the checkpoint, sqrt now",
                                                       "referenceBatch: 4 in the checkpoint, 8 now"])
    }

    /// A configuration stored before augmentation existed is one without it.
    func testConfigurationWithoutAugmentKeyDecodesAsNoAugmentation() throws {
        let current = TrainingConfiguration(model: ModelConfig(baseWidth: 8), batch: 4, clip: 8, seed: 1, syncBN: false)
        var object = try JSONSerialization.jsonObject(with: Data(try current.jsonText().utf8)) as! [String: Any]
        XCTAssertNotNil(object.removeValue(forKey: "augment"))
        let older = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        XCTAssertEqual(try TrainingConfiguration.decode(older), current)
        XCTAssertEqual(current.differences(from: try TrainingConfiguration.decode(older)), [])
    }
}
