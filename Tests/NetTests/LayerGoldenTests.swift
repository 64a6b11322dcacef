import XCTest
@testable import Net
@testable import ModelFiles

/// Each layer against PyTorch, one call at a time, on `layers.safetensors`
/// (written by tools/make_golden.py, names in docs/golden-fixtures.md).
///
/// Finite differences prove a backward pass matches its own forward; these
/// prove the forward is PyTorch's (padding, kernel flips, weight layouts, gate
/// order, biased vs unbiased variance, Adam's bias correction).
final class LayerGoldenTests: XCTestCase {
    private var golden: SafeTensors!

    override func setUpWithError() throws {
        golden = try SafeTensors.load(contentsOf: try GoldenFixture.url("layers.safetensors"))
    }

    /// A fixture tensor as an NCHW `Tensor` (shapes of rank < 4 get leading ones).
    private func tensor(_ name: String) throws -> Tensor {
        let shape = try XCTUnwrap(golden.shape(name), "fixture lacks \(name)")
        XCTAssertLessThanOrEqual(shape.count, 4)
        let dims = Array(repeating: 1, count: 4 - shape.count) + shape
        return Tensor(Shape(dims[0], dims[1], dims[2], dims[3]), try golden.floats(name))
    }

    /// Copies a fixture tensor into a parameter, checking the PyTorch shape matches.
    private func load(_ parameter: Parameter, from name: String) throws {
        XCTAssertEqual(parameter.shape, golden.shape(name), "\(parameter.name) vs fixture \(name)")
        try golden.copy(name, into: parameter.value, count: parameter.count)
    }

    /// `max |actual − expected| ≤ tolerance · max |expected|`; NaN fails.
    private func assertClose(_ actual: UnsafeBufferPointer<Float>, _ name: String, tolerance: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try golden.floats(name)
        XCTAssertEqual(actual.count, expected.count, "\(name): element count", file: file, line: line)
        guard actual.count == expected.count else { return }
        let scale = max(expected.map { abs($0) }.max() ?? 0, .leastNormalMagnitude)
        var worst: Float = 0
        var worstIndex = 0
        for i in 0..<expected.count {
            let err = abs(actual[i] - expected[i])
            if !(err <= worst) { worst = err; worstIndex = i }
        }
        XCTAssertTrue(worst <= tolerance * scale,
                      "\(name): worst error \(worst) at \(worstIndex) (got \(actual[worstIndex]), want \(expected[worstIndex])), scale \(scale)",
                      file: file, line: line)
    }

    private func assertClose(_ actual: Tensor, _ name: String, tolerance: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.shape.count, golden.shape(name)?.reduce(1, *), "\(name): shape \(actual.shape)", file: file, line: line)
        try assertClose(UnsafeBufferPointer(actual.buffer), name, tolerance: tolerance, file: file, line: line)
    }

    private func assertClose(_ parameter: Parameter, gradient: Bool = false, _ name: String, tolerance: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let pointer: UnsafeMutablePointer<Float> = gradient ? try XCTUnwrap(parameter.grad) : parameter.value
        try assertClose(UnsafeBufferPointer(start: pointer, count: parameter.count), name, tolerance: tolerance,
                        file: file, line: line)
    }

    // MARK: Convolutions

    /// The layer `make` declares in a fresh parameter set, with the fixture's
    /// weight and bias: forward, then backward from the fixture's `dy`, against `<prefix>.*`.
    private func checkConvolution(_ prefix: String, _ make: (ParameterSet) -> ConvolutionLayer) throws {
        let set = ParameterSet()
        let layer = make(set)
        set.finalize()
        defer { withExtendedLifetime(set) {} }
        let weight = layer.weight, bias = layer.bias
        try load(weight, from: "\(prefix).weight")
        try load(try XCTUnwrap(bias), from: "\(prefix).bias")
        set.zeroGradients()
        let y = layer.forward(try tensor("\(prefix).x"))
        XCTAssertEqual(y.shape, try tensor("\(prefix).y").shape)
        try assertClose(y, "\(prefix).y")
        let dx = layer.backward(try tensor("\(prefix).dy"), inputGradient: true, parameterGradients: true)
        XCTAssertEqual(dx.shape, try tensor("\(prefix).x").shape)
        try assertClose(dx, "\(prefix).dx")
        try assertClose(weight, gradient: true, "\(prefix).dweight")
        try assertClose(try XCTUnwrap(bias), gradient: true, "\(prefix).dbias")
    }

    func testConv2dMatchesPyTorch() throws {
        try checkConvolution("conv") { Conv2d("conv", in: 3, out: 5, kernel: 4, stride: 2, padding: 1, bias: true, parameters: $0) }
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        try checkConvolution("convT") {
            ConvTranspose2d("convT", in: 4, out: 3, kernel: 4, stride: 2, padding: 1, bias: true, parameters: $0)
        }
    }

    func testHeadConvolutionStrideOneMatchesPyTorch() throws {
        try checkConvolution("head") { Conv2d("head", in: 6, out: 2, kernel: 4, stride: 1, padding: 1, bias: true, parameters: $0) }
    }

    // MARK: BatchNorm

    func testBatchNormTrainingAndEvaluationMatchPyTorch() throws {
        let set = ParameterSet()
        let bn = BatchNorm2d("bn", channels: 3, parameters: set)
        set.finalize()
        XCTAssertEqual(Set(set.entries.map(\.name)), ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"])
        try load(bn.weight, from: "bn.weight")
        try load(bn.bias, from: "bn.bias")
        try load(bn.runningMean, from: "bn.running_mean")
        try load(bn.runningVar, from: "bn.running_var")

        bn.training = true
        set.zeroGradients()
        try assertClose(bn.forward(try tensor("bn.train.x")), "bn.train.y")
        // A momentum blend of two float32 values: tight, so a biased variance or a
        // wrong momentum cannot hide in it.
        try assertClose(bn.runningMean, "bn.train.running_mean", tolerance: 1e-6)
        try assertClose(bn.runningVar, "bn.train.running_var", tolerance: 1e-6)   // unbiased batch variance
        try assertClose(bn.backward(try tensor("bn.train.dy")), "bn.train.dx")
        try assertClose(bn.weight, gradient: true, "bn.train.dweight")
        try assertClose(bn.bias, gradient: true, "bn.train.dbias")

        bn.training = false
        set.zeroGradients()
        let statistics = Array(bn.runningMean.values) + Array(bn.runningVar.values)
        try assertClose(bn.forward(try tensor("bn.eval.x")), "bn.eval.y")
        XCTAssertEqual(Array(bn.runningMean.values) + Array(bn.runningVar.values), statistics,
                       "evaluation leaves the running statistics alone")
        try assertClose(bn.backward(try tensor("bn.eval.dy")), "bn.eval.dx")
        try assertClose(bn.weight, gradient: true, "bn.eval.dweight")
        try assertClose(bn.bias, gradient: true, "bn.eval.dbias")
    }

    // MARK: LSTM

    /// The same three sequences laid out as three clips at one position, and as
    /// one clip at three positions; then four other sequences as two clips at two
    /// positions each, where a swapped (clip, position) row order would show.
    /// Every layout must give PyTorch's outputs and gradients.
    func testLSTMMatchesPyTorchInEveryLayout() throws {
        for (layout, batch, gradients) in [("batch", 3, "lstm"), ("spatial", 1, "lstm"), ("mixed", 2, "lstm.mixed")] {
            let set = ParameterSet()
            let lstm = LSTM("lstm", input: 6, hidden: 5, parameters: set)
            set.finalize()
            try load(lstm.weightIH, from: "lstm.weight_ih")
            try load(lstm.weightHH, from: "lstm.weight_hh")
            try load(lstm.biasIH, from: "lstm.bias_ih")
            try load(lstm.biasHH, from: "lstm.bias_hh")
            set.zeroGradients()
            let y = lstm.forward(try tensor("lstm.\(layout).x"), batch: batch, time: 4)
            XCTAssertEqual(y.shape, try tensor("lstm.\(layout).y").shape, layout)
            try assertClose(y, "lstm.\(layout).y")
            try assertClose(lstm.backward(try tensor("lstm.\(layout).dy")), "lstm.\(layout).dx")
            try assertClose(lstm.weightIH, gradient: true, "\(gradients).dweight_ih")
            try assertClose(lstm.weightHH, gradient: true, "\(gradients).dweight_hh")
            try assertClose(lstm.biasIH, gradient: true, "\(gradients).dbias_ih")
            try assertClose(lstm.biasHH, gradient: true, "\(gradients).dbias_hh")
        }
    }

    // MARK: Losses

    func testBCEWithLogitsMatchesPyTorchIncludingSaturatedLogits() throws {
        let logits = try tensor("bce.logits")
        for target in [1, 0] {
            let loss = BCEWithLogitsLoss()
            let value = loss.forward(logits, target: Float(target))
            let expected = try golden.floats("bce.target\(target).loss")[0]
            XCTAssertEqual(value, expected, accuracy: 1e-6 * max(1, abs(expected)), "target \(target)")
            let grad = loss.backward()
            XCTAssertTrue(grad.toArray().allSatisfy(\.isFinite))
            try assertClose(grad, "bce.target\(target).grad")
            // scale multiplies the gradient (the caller's ½ or λ).
            let scaled = loss.backward(scale: 0.5).toArray()
            let reference = try golden.floats("bce.target\(target).grad")
            for i in 0..<reference.count { XCTAssertEqual(scaled[i], 0.5 * reference[i], accuracy: 1e-7) }
        }
    }

    func testL1MatchesPyTorchWithZeroGradientAtTies() throws {
        let prediction = try tensor("l1.prediction"), target = try tensor("l1.target")
        let loss = L1Loss()
        let value = loss.forward(prediction, target)
        XCTAssertEqual(value, try golden.floats("l1.loss")[0], accuracy: 1e-6)
        let grad = loss.backward()
        try assertClose(grad, "l1.grad", tolerance: 0)   // ±1/n or 0: exact
        let ties = (0..<prediction.count).filter { prediction.data[$0] == target.data[$0] }
        XCTAssertFalse(ties.isEmpty)
        for i in ties { XCTAssertEqual(grad.data[i], 0) }
    }

    // MARK: Adam

    func testAdamThreeStepsMatchPyTorch() throws {
        let set = ParameterSet()
        let p = set.declare("p", shape: [10], initializer: .zeros)
        set.finalize()
        try load(p, from: "adam.p0")
        let adam = Adam(parameters: set, learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8)
        let p0 = try golden.floats("adam.p0")
        for step in 1...3 {
            try golden.copy("adam.g\(step)", into: try XCTUnwrap(p.grad), count: 10)
            adam.step()
            XCTAssertEqual(adam.stepCount, step)
            // Each update is about ±lr, so compare the parameter to a few ulps of |p|
            // and the update itself relatively: a wrong bias correction moves both.
            let want = try golden.floats("adam.p\(step)")
            for i in 0..<10 {
                XCTAssertEqual(p.value[i], want[i], accuracy: 4 * want[i].ulp, "step \(step) [\(i)]")
                let got = p.value[i] - p0[i], ref = want[i] - p0[i]
                XCTAssertEqual(got, ref, accuracy: 1e-2 * abs(ref) + 8 * p0[i].ulp, "update, step \(step) [\(i)]")
            }
        }
        try assertClose(UnsafeBufferPointer(adam.m), "adam.m3")
        try assertClose(UnsafeBufferPointer(adam.v), "adam.v3")
    }
}
