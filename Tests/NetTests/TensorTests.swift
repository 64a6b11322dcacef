import XCTest
@testable import Net

final class TensorTests: XCTestCase {
    func testResizeReusesStorageWhenSmaller() {
        let t = Tensor(2, 3, 4, 4)
        let before = t.data
        t.resize(Shape(1, 3, 4, 4))
        XCTAssertEqual(t.data, before)
        XCTAssertEqual(t.count, 48)
        t.resize(Shape(4, 3, 4, 4))
        XCTAssertEqual(t.count, 192)
    }

    func testParameterSetBindsFlatBuffers() {
        let set = ParameterSet()
        let w = set.declare("a.weight", shape: [4, 2, 3, 3], initializer: .normal(mean: 0, std: 0.02))
        let m = set.declare("a.running_mean", shape: [4], kind: .buffer, initializer: .zeros)
        let b = set.declare("a.bias", shape: [4], initializer: .ones)
        set.finalize()
        XCTAssertEqual(set.trainableCount, 76)
        XCTAssertEqual(set.bufferCount, 4)
        XCTAssertEqual(b.value, set.values.baseAddress! + 72)
        XCTAssertEqual(m.value, set.bufferValues.baseAddress!)
        XCTAssertNil(m.grad)
        var rng = RandomGenerator(seed: 1)
        set.initialize(using: &rng)
        XCTAssertEqual(Array(b.values), [1, 1, 1, 1])
        // N(0, 0.02) over 72 values: the sample mean is within 3 standard
        // errors (3 · 0.02/√72 ≈ 0.007) of 0, the sample deviation within ±30% of
        // 0.02 (its standard error is ≈ 8%), and the values differ. A zero, constant
        // or N(0, 1) initialiser fails.
        let values = w.values.map(Double.init)
        let mean = values.reduce(0, +) / Double(w.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count - 1)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.007)
        XCTAssertEqual(std, 0.02, accuracy: 0.006)
        XCTAssertEqual(Set(values).count, w.count, "every weight drawn separately")
        XCTAssertEqual(set.entries.map(\.name), ["a.weight", "a.running_mean", "a.bias"])
    }

    func testRandomGeneratorIsDeterministicAndNormal() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        for _ in 0..<10 { XCTAssertEqual(a.next(), b.next()) }
        var r = RandomGenerator(seed: 7)
        let n = 100_000
        var sum = 0.0, sq = 0.0
        for _ in 0..<n { let x = Double(r.nextNormal()); sum += x; sq += x * x }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.02)
        XCTAssertEqual(sq / Double(n), 1, accuracy: 0.02)
        let restored = RandomGenerator(state: r.stateWords)
        XCTAssertEqual(restored, r)
    }
}

final class ParameterLifetimeTests: XCTestCase {
    /// A layer may outlive the set it declared its tensors on; its pointers must stay valid.
    func testParameterKeepsStorageAliveAfterSetIsGone() {
        var parameter: Parameter?
        do {
            let set = ParameterSet()
            parameter = set.declare("w", shape: [3], initializer: .ones)
            set.finalize()
            var rng = RandomGenerator(seed: 0)
            set.initialize(using: &rng)
        }
        weak var storage = parameter?.storage
        XCTAssertNotNil(storage)
        XCTAssertEqual(Array(parameter!.values), [1, 1, 1])
        parameter = nil
        XCTAssertNil(storage)
    }
}
