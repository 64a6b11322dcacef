import XCTest
@testable import Net

/// What the shared checks need of Conv2d and ConvTranspose2d (same contract, docs/net-api.md).
protocol ConvolutionLayer {
    init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int, padding: Int,
         bias: Bool, parameters: ParameterSet, workspace: Workspace)
    var weight: Parameter { get }
    var bias: Parameter? { get }
    func forward(_ x: Tensor) -> Tensor
    func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor
}

extension Conv2d: ConvolutionLayer {}
extension ConvTranspose2d: ConvolutionLayer {}

/// A layer of case `t`, in a parameter set of its own, with every weight and
/// bias drawn uniform in [−1, 1) from `rng`.
func makeConvolution<L: ConvolutionLayer>(_ type: L.Type, _ name: String, _ t: ConvCase,
                                          _ rng: inout RandomGenerator) -> (L, ParameterSet) {
    let ps = ParameterSet()
    let layer = L(name, in: t.inC, out: t.outC, kernel: t.k, stride: t.s, padding: t.p,
                  bias: t.bias, parameters: ps, workspace: Workspace())
    ps.finalize()
    for i in 0..<ps.values.count { ps.values[i] = 2 * rng.nextUniform() - 1 }
    return (layer, ps)
}

/// The checks Conv2d and ConvTranspose2d both pass, each over every one of
/// `cases` with a fresh random layer: the same test, told which layer, which
/// cases and which direct definition to compare with.
struct ConvolutionCases<L: ConvolutionLayer> {
    var name: String
    var cases: [ConvCase]
    /// The layer by its definition: (x, weight, bias, case) → y.
    var reference: (Tensor, [Float], [Float]?, ConvCase) -> Tensor

    /// Under every conv plan, the forward output equals `reference`.
    func checkForwardMatchesReference(seed: UInt64) {
        forEachCase(seed: seed) { t, layer, _, x, _ in
            let expected = reference(x, Array(layer.weight.values), layer.bias.map { Array($0.values) }, t)
            forEachConvPlan { plan in
                let y = layer.forward(x)
                XCTAssertEqual(y.shape, expected.shape, "\(t) \(plan)")
                assertClose(y.toArray(), expected.toArray(), "\(t) \(plan)")
            }
        }
    }

    /// `checkGradientsMatchFiniteDifferences` on every case.
    func checkGradientsMatchFiniteDifferences(seed: UInt64) {
        forEachCase(seed: seed) { t, layer, ps, x, rng in
            let r = randomArray(layer.forward(x).count, &rng)
            NetTests.checkGradientsMatchFiniteDifferences(layer, ps, x: x, r: r, "\(t)", rng: &rng)
        }
    }

    /// `checkAccumulationAndSkippedWork` on every case.
    func checkAccumulationAndSkippedWork(seed: UInt64) {
        forEachCase(seed: seed) { t, layer, ps, x, rng in
            let dy = randomTensor(layer.forward(x).shape, &rng)
            NetTests.checkAccumulationAndSkippedWork(layer, ps, x: x, dy: dy, "\(t)")
        }
    }

    /// For each case: a fresh random layer, then a random input, drawn from
    /// one generator seeded `seed` that `body` goes on drawing from.
    private func forEachCase(seed: UInt64,
                             _ body: (ConvCase, L, ParameterSet, Tensor, inout RandomGenerator) -> Void) {
        var rng = RandomGenerator(seed: seed)
        for t in cases {
            let (layer, ps) = makeConvolution(L.self, name, t, &rng)
            let x = randomTensor(Shape(t.n, t.inC, t.h, t.w), &rng)
            body(t, layer, ps, x, &rng)
            withExtendedLifetime(ps) {}
        }
    }
}

/// Under every conv plan: the input, weight and bias gradients of one backward
/// call match finite differences of ⟨layer(x), r⟩.
func checkGradientsMatchFiniteDifferences(_ layer: ConvolutionLayer, _ ps: ParameterSet, x: Tensor, r: [Float],
                                          _ label: String, rng: inout RandomGenerator) {
    forEachConvPlan { plan in
        ps.zeroGradients()
        let y = layer.forward(x)
        let dx = layer.backward(Tensor(y.shape, r), inputGradient: true, parameterGradients: true).toArray()
        let loss = { projectedSum(layer.forward(x), r) }
        let checker = GradientCheck()
        XCTAssertGradientOK(checker.check(name: "\(label) \(plan) x", values: x.data, count: x.count,
                                          analytic: dx, rng: &rng, loss: loss))
        let w = layer.weight
        XCTAssertGradientOK(checker.check(name: "\(label) \(plan) weight", values: w.value, count: w.count,
                                          analytic: Array(UnsafeBufferPointer(start: w.grad, count: w.count)),
                                          rng: &rng, loss: loss))
        if let b = layer.bias {
            XCTAssertGradientOK(checker.check(name: "\(label) \(plan) bias", values: b.value, count: b.count,
                                              analytic: Array(UnsafeBufferPointer(start: b.grad, count: b.count)),
                                              rng: &rng, loss: loss))
        }
    }
}

/// Under every conv plan: two backward calls add up their parameter gradients;
/// `inputGradient: false` leaves the parameter gradients as they were; and
/// `parameterGradients: false` leaves them at zero but still gives the input gradient.
func checkAccumulationAndSkippedWork(_ layer: ConvolutionLayer, _ ps: ParameterSet, x: Tensor, dy: Tensor,
                                     _ label: String) {
    forEachConvPlan { plan in
        ps.zeroGradients()
        _ = layer.forward(x)
        let dx = layer.backward(dy, inputGradient: true, parameterGradients: true).toArray()
        let once = Array(ps.grads)
        _ = layer.backward(dy, inputGradient: true, parameterGradients: true)
        assertClose(Array(ps.grads), once.map { 2 * $0 }, "\(label) \(plan) accumulation")

        ps.zeroGradients()
        _ = layer.backward(dy, inputGradient: false, parameterGradients: true)
        assertClose(Array(ps.grads), once, "\(label) \(plan) inputGradient: false")

        ps.zeroGradients()
        let dxOnly = layer.backward(dy, inputGradient: true, parameterGradients: false).toArray()
        XCTAssertTrue(ps.grads.allSatisfy { $0 == 0 }, "\(label) \(plan) parameterGradients: false")
        assertClose(dxOnly, dx, "\(label) \(plan) input gradient alone")
    }
}

/// Under every conv plan: the forward output equals `expected` (the direct
/// definition) and two threads give exactly what one gives, forward and
/// backward: the parallel loops cut work into disjoint contiguous ranges and
/// never change an operation's order, so not a single bit may differ.
func checkTwoThreadsMatchOne(_ layer: ConvolutionLayer, _ ps: ParameterSet, x: Tensor, dy: Tensor, expected: Tensor) {
    func run(_ threads: Int) -> (y: [Float], dx: [Float], grads: [Float]) {
        ComputeThreads.set(threads)
        defer { ComputeThreads.set(1) }
        ps.zeroGradients()
        let y = layer.forward(x).toArray()
        let dx = layer.backward(dy, inputGradient: true, parameterGradients: true).toArray()
        return (y, dx, Array(ps.grads))
    }
    forEachConvPlan { plan in
        let one = run(1), two = run(2)
        assertClose(one.y, expected.toArray(), "\(plan) forward")
        XCTAssertTrue(two.y == one.y, "\(plan) forward, 2 threads: not bit-identical")
        XCTAssertTrue(two.dx == one.dx, "\(plan) input gradient, 2 threads: not bit-identical")
        XCTAssertTrue(two.grads == one.grads, "\(plan) parameter gradients, 2 threads: not bit-identical")
    }
}
