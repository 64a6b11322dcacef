import XCTest
@testable import Net

final class BatchNorm2dTests: XCTestCase {
    /// Parameter pointers belong to their set, so every set lives as long as the test.
    private var sets: [ParameterSet] = []

    /// A BatchNorm with γ, β and running statistics set to non-trivial values.
    private func makeLayer(channels: Int, seed: UInt64) -> (BatchNorm2d, ParameterSet) {
        let set = ParameterSet()
        let bn = BatchNorm2d("bn", channels: channels, parameters: set)
        set.finalize()
        sets.append(set)
        var rng = RandomGenerator(seed: seed)
        for c in 0..<channels {
            bn.weight.value[c] = 0.5 + rng.nextUniform()
            bn.bias.value[c] = rng.nextUniform() - 0.5
            bn.runningMean.value[c] = rng.nextUniform() - 0.5
            bn.runningVar.value[c] = 0.5 + rng.nextUniform()
        }
        return (bn, set)
    }

    private func checkGradients(training: Bool) {
        var rng = RandomGenerator(seed: training ? 21 : 22)
        let (bn, set) = makeLayer(channels: 3, seed: 5)
        bn.training = training
        // Channel-dependent offsets and scales, so normalisation does real work.
        let x = randomTensor(Shape(4, 3, 3, 5), &rng)
        for i in 0..<x.count { let c = (i / 15) % 3; x.data[i] = x.data[i] * Float(c + 1) + Float(c) - 1 }
        let runningBefore = Array(set.bufferValues)
        let y = bn.forward(x)
        let r = randomArray(y.count, &rng)
        set.zeroGradients()
        let dx = bn.backward(Tensor(y.shape, r)).toArray()
        let dgamma = Array(UnsafeBufferPointer(start: bn.weight.grad, count: 3))
        let dbeta = Array(UnsafeBufferPointer(start: bn.bias.grad, count: 3))
        let loss = { () -> Double in
            // Keep the running statistics fixed across probes (eval mode reads them).
            for i in 0..<runningBefore.count { set.bufferValues[i] = runningBefore[i] }
            return projectedSum(bn.forward(x), r)
        }
        let check = GradientCheck(step: 1e-2, tolerance: 1e-2, probes: 60)
        XCTAssertGradientOK(check.check(name: "bn.x(training: \(training))", values: x.data, count: x.count,
                                        analytic: dx, rng: &rng, loss: loss))
        XCTAssertGradientOK(check.check(name: "bn.weight", values: bn.weight.value, count: 3,
                                        analytic: dgamma, rng: &rng, loss: loss))
        XCTAssertGradientOK(check.check(name: "bn.bias", values: bn.bias.value, count: 3,
                                        analytic: dbeta, rng: &rng, loss: loss))
    }

    func testGradientsInTrainingMode() { checkGradients(training: true) }
    func testGradientsInEvalMode() { checkGradients(training: false) }

    /// Output and running statistics after two training forwards, against
    /// mean / biased / unbiased variance computed here in Double.
    func testForwardAndRunningStatisticsByHand() {
        var rng = RandomGenerator(seed: 23)
        let (bn, _) = makeLayer(channels: 2, seed: 6)
        let shape = Shape(3, 2, 2, 3)
        let x1 = randomTensor(shape, &rng, low: -1, high: 3)
        let x2 = randomTensor(shape, &rng, low: -2, high: 1)
        var rm = (0..<2).map { Double(bn.runningMean.value[$0]) }
        var rv = (0..<2).map { Double(bn.runningVar.value[$0]) }
        for x in [x1, x2] {
            let y = bn.forward(x)
            for c in 0..<2 {
                var values: [Double] = []
                for n in 0..<3 { for p in 0..<6 { values.append(Double(x.data[(n * 2 + c) * 6 + p])) } }
                let m = values.reduce(0, +) / 18
                let ss = values.map { ($0 - m) * ($0 - m) }.reduce(0, +)
                let biased = ss / 18, unbiased = ss / 17
                let gamma = Double(bn.weight.value[c]), beta = Double(bn.bias.value[c])
                for n in 0..<3 {
                    for p in 0..<6 {
                        let i = (n * 2 + c) * 6 + p
                        let expected = (Double(x.data[i]) - m) / (biased + 1e-5).squareRoot() * gamma + beta
                        XCTAssertEqual(Double(y.data[i]), expected, accuracy: 1e-5)
                    }
                }
                rm[c] = 0.9 * rm[c] + 0.1 * m
                rv[c] = 0.9 * rv[c] + 0.1 * unbiased
            }
        }
        for c in 0..<2 {
            XCTAssertEqual(Double(bn.runningMean.value[c]), rm[c], accuracy: 1e-6)
            XCTAssertEqual(Double(bn.runningVar.value[c]), rv[c], accuracy: 1e-6)
        }
        // Eval mode normalises with exactly those running statistics.
        bn.training = false
        let y = bn.forward(x1)
        for i in [0, 7, 20, 35] {
            let c = (i / 6) % 2
            let expected = (Double(x1.data[i]) - rm[c]) / (rv[c] + 1e-5).squareRoot()
                * Double(bn.weight.value[c]) + Double(bn.bias.value[c])
            XCTAssertEqual(Double(y.data[i]), expected, accuracy: 1e-5)
        }
    }

    /// Sync-BN: two halves of a batch, each on its own layer, whose hook adds the
    /// other half's partial sums, must reproduce the full batch on one layer:
    /// outputs, input gradients, running statistics, and (summed) parameter gradients.
    func testReduceStatisticsHookMatchesFullBatch() {
        var rng = RandomGenerator(seed: 24)
        let C = 3, plane = 4 * 5
        let x = randomTensor(Shape(6, C, 4, 5), &rng, low: -1, high: 2)
        let dy = randomTensor(x.shape, &rng)
        let half = Shape(3, C, 4, 5)
        func slice(_ t: Tensor, _ k: Int) -> Tensor {
            Tensor(half, Array(t.toArray()[(k * half.count)..<((k + 1) * half.count)]))
        }
        let xs = [slice(x, 0), slice(x, 1)], dys = [slice(dy, 0), slice(dy, 1)]

        let (full, fullSet) = makeLayer(channels: C, seed: 7)
        let halves = [makeLayer(channels: C, seed: 7), makeLayer(channels: C, seed: 7)]
        fullSet.zeroGradients()
        let yFull = full.forward(x).toArray()
        let dxFull = full.backward(dy).toArray()

        // Pass 1 records each half's own partial sums (the hook copies them out);
        // pass 2 adds the other half's, i.e. performs the all-reduce by hand.
        var recorded: [[Double]] = [[], []]
        let buffersBefore = Array(halves[0].1.bufferValues)
        for k in 0..<2 {
            halves[k].0.reduceStatistics = { buf in recorded[k] = Array(buf) }
            _ = halves[k].0.forward(xs[k])
        }
        var ys: [Float] = []
        for k in 0..<2 {
            let other = recorded[1 - k]
            for i in 0..<buffersBefore.count { halves[k].1.bufferValues[i] = buffersBefore[i] }
            halves[k].0.reduceStatistics = { buf in for i in 0..<buf.count { buf[i] += other[i] } }
            ys += halves[k].0.forward(xs[k]).toArray()
        }
        XCTAssertEqual(recorded[0].count, 2 * C + 1)
        XCTAssertEqual(recorded[0][2 * C], Double(3 * plane))
        for k in 0..<2 {
            halves[k].0.reduceStatistics = { buf in recorded[k] = Array(buf) }
            halves[k].1.zeroGradients()
            _ = halves[k].0.backward(dys[k])
        }
        XCTAssertEqual(recorded[0].count, 2 * C)
        var dxs: [Float] = []
        for k in 0..<2 {
            let other = recorded[1 - k]
            halves[k].0.reduceStatistics = { buf in for i in 0..<buf.count { buf[i] += other[i] } }
            halves[k].1.zeroGradients()
            dxs += halves[k].0.backward(dys[k]).toArray()
        }
        for i in 0..<yFull.count {
            XCTAssertEqual(ys[i], yFull[i], accuracy: 1e-5)
            XCTAssertEqual(dxs[i], dxFull[i], accuracy: 1e-5)
        }
        for k in 0..<2 {
            for i in 0..<fullSet.bufferCount {
                XCTAssertEqual(halves[k].1.bufferValues[i], fullSet.bufferValues[i], accuracy: 1e-6)
            }
        }
        for i in 0..<fullSet.trainableCount {
            XCTAssertEqual(halves[0].1.grads[i] + halves[1].1.grads[i], fullSet.grads[i], accuracy: 1e-4)
        }
        // Without the hook the halves see different statistics: the test can fail.
        let (lone, _) = makeLayer(channels: C, seed: 7)
        let yLone = lone.forward(xs[0]).toArray()
        XCTAssertGreaterThan(zip(yLone, yFull).map { abs($0 - $1) }.max()!, 1e-3)
    }

    /// The channel-parallel path (large planes, two threads) matches one thread.
    /// Inference on a clip's own statistics (`updatesRunningStatistics = false`)
    /// normalises exactly as training does and leaves the running statistics alone.
    func testBatchStatisticsWithoutUpdatingRunningOnes() {
        var rng = RandomGenerator(seed: 31)
        let x = randomTensor(Shape(3, 2, 4, 4), &rng)
        let (trained, _) = makeLayer(channels: 2, seed: 9)
        let expected = trained.forward(x).toArray()
        let (clip, set) = makeLayer(channels: 2, seed: 9)
        let runningBefore = Array(set.bufferValues)
        clip.updatesRunningStatistics = false
        XCTAssertEqual(clip.forward(x).toArray(), expected)
        XCTAssertEqual(Array(set.bufferValues), runningBefore, "running statistics untouched")
        XCTAssertNotEqual(Array(trained.runningMean.values), Array(clip.runningMean.values), "training did move them")
    }

    /// A generator evaluated on `.clip` statistics gives what a training-mode
    /// forward gives, `.running` what eval mode gives, and neither moves the buffers.
    func testGeneratorEvaluationStatistics() throws {
        var rng = RandomGenerator(seed: 4)
        let G = try Generator(config: ModelConfig(baseWidth: 2, temporal: .none, size: 128), rng: &rng)
        for i in 0..<G.parameters.bufferValues.count { G.parameters.bufferValues[i] = 0.5 + Float(i % 7) * 0.1 }
        let L = randomTensor(Shape(3, 1, 128, 128), &rng)
        let buffers = Array(G.parameters.bufferValues)
        G.training = false
        let running = G.forward(L: L, batch: 3, time: 1).toArray()
        G.evaluationStatistics = .clip
        let clip = G.forward(L: L, batch: 3, time: 1).toArray()
        XCTAssertEqual(Array(G.parameters.bufferValues), buffers, "evaluation leaves the buffers alone")
        G.training = true
        let training = G.forward(L: L, batch: 3, time: 1).toArray()
        XCTAssertEqual(clip, training)
        XCTAssertNotEqual(clip, running)
        XCTAssertNotEqual(Array(G.parameters.bufferValues), buffers, "training moves them")
    }

    func testThreadCountDoesNotChangeResults() {
        var rng = RandomGenerator(seed: 25)
        let x = randomTensor(Shape(4, 8, 64, 64), &rng)
        let dy = randomTensor(x.shape, &rng)
        func run() -> [Float] {
            let (bn, set) = makeLayer(channels: 8, seed: 8)
            set.zeroGradients()
            return bn.forward(x).toArray() + bn.backward(dy).toArray() + Array(set.grads) + Array(set.bufferValues)
        }
        XCTAssertSameOnOneAndTwoThreads(run)
    }

    /// Output and input-gradient storage is sized once and reused; a smaller batch fits in it.
    func testBuffersAreReusedAcrossCalls() {
        var rng = RandomGenerator(seed: 26)
        let (bn, _) = makeLayer(channels: 2, seed: 9)
        let x = randomTensor(Shape(3, 2, 4, 4), &rng)
        let out = bn.forward(x).data
        let dx = bn.backward(x).data
        let small = randomTensor(Shape(2, 2, 4, 4), &rng)
        XCTAssertEqual(bn.forward(small).data, out)
        XCTAssertEqual(bn.backward(small).data, dx)
        XCTAssertEqual(bn.forward(x).data, out)
    }
}
