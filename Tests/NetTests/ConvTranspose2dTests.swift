import XCTest
@testable import Net

/// Transposed convolution by its definition: every input pixel scatters
/// `x · W[c, o]` into the output window at `(h·s − p, w·s − p)`.
func naiveConvTranspose2d(_ x: Tensor, weight: [Float], bias: [Float]?, outC: Int, k: Int, s: Int, p: Int) -> Tensor {
    let (n, c, h, w) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
    let oh = (h - 1) * s - 2 * p + k, ow = (w - 1) * s - 2 * p + k
    var acc = [Double](repeating: 0, count: n * outC * oh * ow)
    for b in 0..<n { for o in 0..<outC { for i in 0..<(oh * ow) { acc[(b * outC + o) * oh * ow + i] = Double(bias?[o] ?? 0) } } }
    for b in 0..<n { for ci in 0..<c { for iy in 0..<h { for ix in 0..<w {
        let v = Double(x.data[((b * c + ci) * h + iy) * w + ix])
        for o in 0..<outC { for ky in 0..<k { for kx in 0..<k {
            let oy = iy * s - p + ky, ox = ix * s - p + kx
            if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
            acc[((b * outC + o) * oh + oy) * ow + ox] += v * Double(weight[((ci * outC + o) * k + ky) * k + kx])
        } } }
    } } } }
    return Tensor(Shape(n, outC, oh, ow), acc.map { Float($0) })
}

final class ConvTranspose2dTests: XCTestCase {
    func makeConvT(_ t: ConvCase, _ rng: inout RandomGenerator) -> (ConvTranspose2d, ParameterSet) {
        makeConvolution(ConvTranspose2d.self, "u", t, &rng)
    }

    /// Transposed-conv cases: inputs are the conv cases' outputs (small sizes,
    /// 1×1 like up7's input, the head's stride 1, odd sizes, no padding).
    let cases: [ConvCase] = [
        ConvCase(n: 2, inC: 3, outC: 4, h: 4, w: 4, bias: false),
        ConvCase(n: 1, inC: 2, outC: 1, h: 5, w: 5, k: 4, s: 1, p: 1, bias: true),
        ConvCase(n: 2, inC: 3, outC: 5, h: 4, w: 5, k: 3, s: 2, p: 1, bias: true),
        ConvCase(n: 3, inC: 4, outC: 2, h: 3, w: 3, bias: true),
        ConvCase(n: 1, inC: 1, outC: 3, h: 3, w: 2, k: 4, s: 2, p: 0, bias: false),
        ConvCase(n: 2, inC: 3, outC: 2, h: 1, w: 1, bias: false),  // 1×1 → 2×2, like up7
        ConvCase(n: 2, inC: 3, outC: 2, h: 3, w: 19, bias: true),  // wide rows: the SIMD stride-2 loops
    ]

    var layers: ConvolutionCases<ConvTranspose2d> {
        ConvolutionCases(name: "u", cases: cases) { x, weight, bias, t in
            naiveConvTranspose2d(x, weight: weight, bias: bias, outC: t.outC, k: t.k, s: t.s, p: t.p)
        }
    }

    func testParameterNamesAndShapes() {
        let ps = ParameterSet()
        _ = ConvTranspose2d("up6", in: 1024, out: 512, bias: false, parameters: ps)
        _ = ConvTranspose2d("up1", in: 128, out: 2, bias: true, parameters: ps)
        XCTAssertEqual(ps.entries.map(\.name), ["up6.weight", "up1.weight", "up1.bias"])
        XCTAssertEqual(ps["up6.weight"]?.shape, [1024, 512, 4, 4])
        XCTAssertEqual(ps["up1.weight"]?.shape, [128, 2, 4, 4])
        XCTAssertEqual(ps["up1.bias"]?.shape, [2])
    }

    func testOutputSizes() {
        var rng = RandomGenerator(seed: 1)
        let (up, ps) = makeConvT(ConvCase(n: 1, inC: 2, outC: 1, h: 1, w: 1, bias: false), &rng)
        defer { withExtendedLifetime(ps) {} }
        XCTAssertEqual(up.forward(Tensor(Shape(3, 2, 64, 64))).shape, Shape(3, 1, 128, 128))
        XCTAssertEqual(up.forward(Tensor(Shape(1, 2, 1, 1))).shape, Shape(1, 1, 2, 2))
    }

    func testForwardMatchesDirectDefinition() { layers.checkForwardMatchesReference(seed: 2) }

    func testGradientsMatchFiniteDifferences() { layers.checkGradientsMatchFiniteDifferences(seed: 3) }

    /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ when both use the same [a, b, k, k] tensor
    /// (Conv2d a→... reads it as [out, in], ConvTranspose2d as [in, out]).
    func testAdjointOfConv2d() {
        var rng = RandomGenerator(seed: 6)
        // (n, conv in, conv out, H, W, k, s, p); H, W chosen so convT restores them.
        let shapes: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 3, 4, 8, 8, 4, 2, 1), (2, 2, 3, 4, 40, 4, 2, 1), (1, 2, 3, 6, 10, 4, 1, 1), (3, 5, 2, 9, 7, 3, 2, 1), (2, 4, 4, 2, 2, 4, 2, 1),
        ]
        for (n, a, b, h, w, k, s, p) in shapes {
            let ps = ParameterSet()
            let conv = Conv2d("c", in: a, out: b, kernel: k, stride: s, padding: p, bias: false,
                              parameters: ps, workspace: Workspace())
            let convT = ConvTranspose2d("t", in: b, out: a, kernel: k, stride: s, padding: p, bias: false,
                                        parameters: ps, workspace: Workspace())
            ps.finalize()
            defer { withExtendedLifetime(ps) {} }
            XCTAssertEqual(conv.weight.shape, convT.weight.shape)
            for i in 0..<conv.weight.count { conv.weight.value[i] = 2 * rng.nextUniform() - 1 }
            _ = convT.weight.values.update(fromContentsOf: conv.weight.values)
            let x = randomTensor(Shape(n, a, h, w), &rng)
            forEachConvPlan { plan in
                let cx = conv.forward(x)
                let y = randomTensor(cx.shape, &rng)
                let ty = convT.forward(y)
                XCTAssertEqual(ty.shape, x.shape)
                let lhs = projectedSum(cx, y.toArray()), rhs = projectedSum(ty, x.toArray())
                XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "n\(n) \(a)→\(b) \(h)×\(w) \(plan)")
            }
        }
    }

    func testAccumulationAndSkippedWork() { layers.checkAccumulationAndSkippedWork(seed: 4) }

    func testTwoThreadsMatchOne() {
        var rng = RandomGenerator(seed: 5)
        // Above the serial cut-off for one image (see Conv2dTests.testTwoThreadsMatchOne).
        let t = ConvCase(n: 4, inC: 16, outC: 16, h: 32, w: 32, bias: true)
        XCTAssertGreaterThanOrEqual(t.outC * t.k * t.k * t.h * t.w, ComputeThreads.serialWork, "col2im of one image")
        XCTAssertGreaterThanOrEqual(t.inC * t.h * t.w, ComputeThreads.serialWork, "channel-major reorder of one image")
        let (layer, ps) = makeConvT(t, &rng)
        let x = randomTensor(Shape(t.n, t.inC, t.h, t.w), &rng)
        let expected = naiveConvTranspose2d(x, weight: Array(layer.weight.values), bias: Array(layer.bias!.values),
                                            outC: t.outC, k: t.k, s: t.s, p: t.p)
        let dy = randomTensor(expected.shape, &rng)
        checkTwoThreadsMatchOne(layer, ps, x: x, dy: dy, expected: expected)
    }
}
