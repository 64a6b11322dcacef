import Foundation

/// Batch normalisation over the channels of an NCHW tensor, with PyTorch's
/// semantics (eps 1e-5, momentum 0.1, docs/model.md).
///
/// Training normalises with the batch mean and *biased* variance and moves the
/// running statistics towards the batch mean and *unbiased* variance:
/// `running = (1 − momentum) · running + momentum · batch`. Evaluation
/// normalises with the running statistics (and backward then differentiates
/// that affine map).
///
/// Statistics are sums in Double, which also makes synchronised BatchNorm a
/// one-line hook: forward fills a buffer with per-channel partial sums
/// `[Σx (C), Σx² (C), element count (1)]`; backward with `[Σdy (C), Σdy·x̂ (C)]`.
/// `reduceStatistics`, when set, sums that buffer across ranks in place, so N
/// ranks holding B images each compute exactly what one rank holding N·B would.
/// The parameter gradients added into `weight.grad`/`bias.grad` are this rank's
/// own share (taken before the hook), because the trainer all-reduces them
/// afterwards like every other gradient.
public final class BatchNorm2d {
    public static let epsilon = 1e-5
    public static let momentum = 0.1

    public let name: String
    public let channels: Int
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter

    /// true: batch statistics (and running statistics are updated); false: running statistics.
    public var training = true
    /// Whether a forward with batch statistics also moves the running ones
    /// (false for inference on a clip's own statistics, `BatchNormStatistics.clip`).
    public var updatesRunningStatistics = true
    /// Sync-BN hook: sums the given per-channel partial sums across ranks in place.
    public var reduceStatistics: ((UnsafeMutableBufferPointer<Double>) -> Void)?

    private let output = Tensor(Shape(0, 0))
    private let inputGradient = Tensor(Shape(0, 0))
    private var input: Tensor?
    /// Whether the last forward used batch statistics (backward must match it).
    private var forwardUsedBatchStatistics = true
    /// Partial sums handed to the hook, 2C + 1 doubles.
    private let sums: UnsafeMutableBufferPointer<Double>
    /// Mean and 1/sqrt(var + eps) the last forward normalised with.
    private let mean: UnsafeMutableBufferPointer<Double>
    private let invStd: UnsafeMutableBufferPointer<Double>
    /// Owns `sums`, `mean` and `invStd`.
    private let statistics: FlatBuffers<Double>
    /// Element count per channel behind the last forward's statistics (all ranks).
    private var statisticsCount = 0.0

    public init(_ name: String, channels: Int, parameters: ParameterSet) {
        precondition(channels > 0, "BatchNorm2d \(name): channels must be positive")
        self.name = name
        self.channels = channels
        weight = parameters.declare("\(name).weight", shape: [channels], initializer: .normal(mean: 1, std: 0.02))
        bias = parameters.declare("\(name).bias", shape: [channels], initializer: .zeros)
        runningMean = parameters.declare("\(name).running_mean", shape: [channels], kind: .buffer, initializer: .zeros)
        runningVar = parameters.declare("\(name).running_var", shape: [channels], kind: .buffer, initializer: .ones)
        statistics = FlatBuffers([(2 * channels + 1, 0), (channels, 0), (channels, 1)])
        (sums, mean, invStd) = (statistics[0], statistics[1], statistics[2])
    }

    /// Channels per thread chunk so that a chunk holds about 32k elements.
    private func channelGrain(_ shape: Shape) -> Int {
        max(1, (1 << 15) / max(shape.n * shape.plane, 1))
    }

    public func forward(_ x: Tensor) -> Tensor {
        let s = x.shape
        precondition(s.c == channels, "BatchNorm2d \(name): input \(s) has \(s.c) channels, expected \(channels)")
        input = x
        forwardUsedBatchStatistics = training
        let C = channels, n = s.n, plane = s.plane, perImage = s.perImage
        let src = x.data
        let mean = mean.baseAddress!, invStd = invStd.baseAddress!
        let grain = channelGrain(s)

        if training {
            let sums = sums.baseAddress!
            ParallelChunks.run(C, grain: grain) { r in
                for c in r {
                    var total = 0.0, squares = 0.0
                    for img in 0..<n {
                        let xc = src + img * perImage + c * plane
                        // (Σx, Σx²): the centred dot of the plane with itself about 0.
                        let (a, b) = BatchNormKernels.sumAndCenteredDot(xc, xc, 0, plane)
                        total += a
                        squares += b
                    }
                    sums[c] = total
                    sums[C + c] = squares
                }
            }
            sums[2 * C] = Double(n * plane)
            reduceStatistics?(self.sums)
            let count = sums[2 * C]
            precondition(count > 1, "BatchNorm2d \(name): training needs more than one value per channel, got \(count)")
            statisticsCount = count
            let rm = runningMean.value!, rv = runningVar.value!
            let m = Self.momentum
            for c in 0..<C {
                let mu = sums[c] / count
                let variance = max(sums[C + c] / count - mu * mu, 0)
                mean[c] = mu
                invStd[c] = 1 / (variance + Self.epsilon).squareRoot()
                guard updatesRunningStatistics else { continue }
                rm[c] = Float((1 - m) * Double(rm[c]) + m * mu)
                rv[c] = Float((1 - m) * Double(rv[c]) + m * variance * count / (count - 1))
            }
        } else {
            let rm = runningMean.value!, rv = runningVar.value!
            for c in 0..<C {
                mean[c] = Double(rm[c])
                invStd[c] = 1 / (Double(rv[c]) + Self.epsilon).squareRoot()
            }
        }

        output.resize(s)
        let dst = output.data, gamma = weight.value!, beta = bias.value!
        ParallelChunks.run(C, grain: grain) { r in
            for c in r {
                let mu = Float(mean[c])
                let scale = Float(Double(gamma[c]) * invStd[c])
                let shift = beta[c]
                for img in 0..<n {
                    let o = img * perImage + c * plane
                    let xs = src + o, ys = dst + o
                    for i in 0..<plane { ys[i] = (xs[i] - mu) * scale + shift }
                }
            }
        }
        return output
    }

    /// Returns dL/dx and, when `parameterGradients`, adds dL/dγ and dL/dβ into the grads.
    public func backward(_ dy: Tensor, parameterGradients: Bool = true) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm2d \(name): backward before forward") }
        let s = x.shape
        precondition(dy.shape == s, "BatchNorm2d \(name): gradient \(dy.shape) for input \(s)")
        let C = channels, n = s.n, plane = s.plane, perImage = s.perImage
        let src = x.data, g = dy.data
        let mean = mean.baseAddress!, invStd = invStd.baseAddress!, sums = sums.baseAddress!
        let grain = channelGrain(s)

        // Σdy and Σdy·x̂ per channel, with x̂ = (x − mean)·invStd of the forward pass.
        ParallelChunks.run(C, grain: grain) { r in
            for c in r {
                let mu = Float(mean[c])
                var sdy = 0.0, sdyx = 0.0
                for img in 0..<n {
                    let o = img * perImage + c * plane
                    let (a, b) = BatchNormKernels.sumAndCenteredDot(g + o, src + o, mu, plane)
                    sdy += a
                    sdyx += b
                }
                sums[c] = sdy
                sums[C + c] = sdyx * invStd[c]
            }
        }
        if parameterGradients {
            let dgamma = weight.grad!, dbeta = bias.grad!
            for c in 0..<C {
                dgamma[c] += Float(sums[C + c])
                dbeta[c] += Float(sums[c])
            }
        }

        let batch = forwardUsedBatchStatistics
        if batch, let reduce = reduceStatistics {
            reduce(UnsafeMutableBufferPointer(start: sums, count: 2 * C))
        }
        let count = statisticsCount
        inputGradient.resize(s)
        let dst = inputGradient.data, gamma = weight.value!
        ParallelChunks.run(C, grain: grain) { r in
            for c in r {
                // dx = k·(dy − Σdy/N − x̂·Σdy·x̂/N), k = γ·invStd, written as
                // a·dy + b·(x − mean) + c with the sums folded into b and c.
                let k = Double(gamma[c]) * invStd[c]
                let a = Float(k)
                let mu = Float(mean[c])
                let b: Float, offset: Float
                if batch {
                    b = Float(-k * invStd[c] * sums[C + c] / count)
                    offset = Float(-k * sums[c] / count)
                } else {
                    b = 0
                    offset = 0
                }
                for img in 0..<n {
                    let o = img * perImage + c * plane
                    let gs = g + o, xs = src + o, ds = dst + o
                    for i in 0..<plane { ds[i] = a * gs[i] + b * (xs[i] - mu) + offset }
                }
            }
        }
        return inputGradient
    }
}

/// Double-precision reductions over one channel plane. Eight floats per step
/// into two SIMD4<Double> accumulators, so the sums vectorise (a scalar Double
/// loop cannot: reordering its additions is not allowed without fast-math).
enum BatchNormKernels {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> (SIMD4<Double>, SIMD4<Double>) {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        return (SIMD4<Double>(v.lowHalf), SIMD4<Double>(v.highHalf))
    }

    /// (Σdy, Σdy·(x − mu)) in Double: backward's two sums, and with `dy` and
    /// `x` the same plane and `mu` 0, forward's (Σx, Σx²), bit for bit what a
    /// separate sum-and-squares loop gives (x − 0 is exact in Float).
    static func sumAndCenteredDot(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mu: Float,
                                  _ count: Int) -> (Double, Double) {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), d0 = SIMD4<Double>(), d1 = SIMD4<Double>()
        let m = SIMD8<Float>(repeating: mu)
        var i = 0
        while i + 8 <= count {
            let (g0, g1) = load8(dy + i)
            let xc = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - m
            let x0 = SIMD4<Double>(xc.lowHalf), x1 = SIMD4<Double>(xc.highHalf)
            s0 += g0; s1 += g1
            d0 += g0 * x0; d1 += g1 * x1
            i += 8
        }
        var s = (s0 + s1).sum(), d = (d0 + d1).sum()
        while i < count {
            let g = Double(dy[i])
            s += g; d += g * Double(x[i] - mu)
            i += 1
        }
        return (s, d)
    }
}

/// Where a network's BatchNorm layers take their statistics from outside
/// training (`vcolor eval` and `colorize --bn-statistics`).
public enum BatchNormStatistics: String, Sendable, CaseIterable, Codable {
    /// The running statistics gathered in training: PyTorch's `model.eval()`.
    case running
    /// Each forward's own frames (a chunk of up to `--batch` frames of one shot),
    /// running statistics untouched: what pix2pix's test.py does without `--eval`.
    case clip
}
