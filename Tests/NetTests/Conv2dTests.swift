import XCTest
@testable import Net

/// One convolution configuration under test.
struct ConvCase: CustomStringConvertible {
    var n: Int, inC: Int, outC: Int, h: Int, w: Int
    var k = 4, s = 2, p = 1
    var bias: Bool

    var description: String { "n\(n) \(inC)→\(outC) \(h)×\(w) k\(k) s\(s) p\(p) bias \(bias)" }
}

/// The configurations every gradient check runs: the seed model's k4 s2 p1,
/// the PatchGAN head (k4 s1 p1), odd and non-square sizes, n > 1, in ≠ out,
/// with and without bias, rows wide enough for the vectorised stride-2 loops.
let convCases: [ConvCase] = [
    ConvCase(n: 2, inC: 3, outC: 4, h: 8, w: 8, bias: false),
    ConvCase(n: 1, inC: 2, outC: 1, h: 6, w: 6, k: 4, s: 1, p: 1, bias: true),
    ConvCase(n: 2, inC: 3, outC: 5, h: 7, w: 9, k: 3, s: 2, p: 1, bias: true),
    ConvCase(n: 3, inC: 4, outC: 2, h: 5, w: 5, bias: true),
    ConvCase(n: 1, inC: 1, outC: 3, h: 9, w: 7, k: 4, s: 2, p: 0, bias: false),
    ConvCase(n: 2, inC: 2, outC: 3, h: 2, w: 2, bias: false),  // output 1×1, like down7
    ConvCase(n: 2, inC: 2, outC: 3, h: 5, w: 37, bias: true),  // wide rows: the SIMD stride-2 loops
]

/// Runs `body` under each way `ConvPlan` can cut a batch: the default (small
/// images → one batched GEMM), per-image GEMMs, each with chunks of one image
/// (a tiny column budget), and Conv2d's input-grid path (`ShiftedSum`), so
/// every code path is checked on small shapes.
func forEachConvPlan(_ body: (String) -> Void) {
    let savedBudget = ConvPlan.columnBudget, savedPositions = ConvPlan.perImagePositions
    defer {
        ConvPlan.columnBudget = savedBudget; ConvPlan.perImagePositions = savedPositions
        ConvPlan.forceShiftedSum = nil
    }
    ConvPlan.forceShiftedSum = false
    body("batched")
    ConvPlan.perImagePositions = 1
    body("per-image")
    ConvPlan.columnBudget = 1
    body("per-image, chunks of 1")
    ConvPlan.perImagePositions = savedPositions
    body("batched, chunks of 1")
    ConvPlan.forceShiftedSum = true  // Conv2d only; ConvTranspose2d has no such path
    body("shifted sum, chunks of 1")
    ConvPlan.columnBudget = savedBudget
    body("shifted sum")
}

/// Direct convolution by its definition (PyTorch's cross-correlation).
func naiveConv2d(_ x: Tensor, weight: [Float], bias: [Float]?, outC: Int, k: Int, s: Int, p: Int) -> Tensor {
    let (n, c, h, w) = (x.shape.n, x.shape.c, x.shape.h, x.shape.w)
    let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
    let y = Tensor(Shape(n, outC, oh, ow))
    for b in 0..<n { for o in 0..<outC { for oy in 0..<oh { for ox in 0..<ow {
        var acc = Double(bias?[o] ?? 0)
        for ci in 0..<c { for ky in 0..<k { for kx in 0..<k {
            let iy = oy * s - p + ky, ix = ox * s - p + kx
            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
            acc += Double(weight[((o * c + ci) * k + ky) * k + kx]) * Double(x.data[((b * c + ci) * h + iy) * w + ix])
        } } }
        y.data[((b * outC + o) * oh + oy) * ow + ox] = Float(acc)
    } } } }
    return y
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    var worst: Float = 0, at = 0
    for i in 0..<min(a.count, b.count) {
        let e = abs(a[i] - b[i]) / max(1, abs(b[i]))
        if !(e <= worst) { worst = e; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst at \(at): \(a[at]) vs \(b[at])", file: file, line: line)
}

final class Conv2dTests: XCTestCase {
    let layers = ConvolutionCases<Conv2d>(name: "c", cases: convCases) { x, weight, bias, t in
        naiveConv2d(x, weight: weight, bias: bias, outC: t.outC, k: t.k, s: t.s, p: t.p)
    }

    /// A conv of case `t` with random weights and bias.
    func makeConv(_ t: ConvCase, _ rng: inout RandomGenerator) -> (Conv2d, ParameterSet) {
        makeConvolution(Conv2d.self, "c", t, &rng)
    }

    func testParameterNamesAndShapes() {
        let ps = ParameterSet()
        _ = Conv2d("down2", in: 64, out: 128, bias: false, parameters: ps)
        _ = Conv2d("head", in: 256, out: 1, stride: 1, bias: true, parameters: ps)
        XCTAssertEqual(ps.entries.map(\.name), ["down2.weight", "head.weight", "head.bias"])
        XCTAssertEqual(ps["down2.weight"]?.shape, [128, 64, 4, 4])
        XCTAssertEqual(ps["head.weight"]?.shape, [1, 256, 4, 4])
        XCTAssertEqual(ps["head.bias"]?.shape, [1])
        XCTAssertEqual(ps["down2.weight"]?.initializer, .normal(mean: 0, std: 0.02))
        XCTAssertEqual(ps["head.bias"]?.initializer, .zeros)
    }

    func testOutputSizes() {
        var rng = RandomGenerator(seed: 1)
        let (conv, ps1) = makeConv(ConvCase(n: 1, inC: 1, outC: 1, h: 128, w: 128, bias: false), &rng)
        XCTAssertEqual(conv.forward(Tensor(Shape(2, 1, 128, 128))).shape, Shape(2, 1, 64, 64))
        let (head, ps2) = makeConv(ConvCase(n: 1, inC: 1, outC: 1, h: 16, w: 16, k: 4, s: 1, p: 1, bias: true), &rng)
        defer { withExtendedLifetime((ps1, ps2)) {} }
        XCTAssertEqual(head.forward(Tensor(Shape(1, 1, 16, 16))).shape, Shape(1, 1, 15, 15))
    }

    func testForwardMatchesDirectConvolution() { layers.checkForwardMatchesReference(seed: 2) }

    func testGradientsMatchFiniteDifferences() { layers.checkGradientsMatchFiniteDifferences(seed: 3) }

    /// Two backward calls add their parameter gradients; skipping the input
    /// gradient leaves the weight gradient unchanged; skipping the parameter
    /// gradients leaves them untouched and still gives the input gradient.
    func testAccumulationAndSkippedWork() { layers.checkAccumulationAndSkippedWork(seed: 4) }

    /// With two threads the parallel kernels split the work; results must
    /// equal the single-thread ones bit for bit. The sizes put even one
    /// image's im2col and channel-major reorder above the serial cut-off, so
    /// the "chunks of 1" plans run in parallel too.
    func testTwoThreadsMatchOne() {
        var rng = RandomGenerator(seed: 5)
        let t = ConvCase(n: 4, inC: 16, outC: 16, h: 64, w: 64, bias: true)
        let positions = (t.h / 2) * (t.w / 2)
        XCTAssertGreaterThanOrEqual(t.inC * t.k * t.k * positions, ComputeThreads.serialWork, "im2col of one image")
        XCTAssertGreaterThanOrEqual(t.outC * positions, ComputeThreads.serialWork, "channel-major reorder of one image")
        let (conv, ps) = makeConv(t, &rng)
        let x = randomTensor(Shape(t.n, t.inC, t.h, t.w), &rng)
        let expected = naiveConv2d(x, weight: Array(conv.weight.values), bias: Array(conv.bias!.values),
                                   outC: t.outC, k: t.k, s: t.s, p: t.p)
        let dy = randomTensor(expected.shape, &rng)
        checkTwoThreadsMatchOne(conv, ps, x: x, dy: dy, expected: expected)
    }
}
