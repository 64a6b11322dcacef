import Foundation

/// Times the convolutions of the seed model (docs/model.md) at its training shapes,
/// for `vcolor bench --layers`: every generator conv and transposed conv and
/// every discriminator conv, forward and backward, on `n = B·T` images.
///
/// Backward does what the training step does: down1 skips its input gradient
/// (nothing upstream needs it); every other layer computes both gradients
/// (the discriminator's first layer too: the generator's loss flows through it).
public enum ConvBenchmark {
    /// One layer's timings (best of the repeats, seconds) and throughput.
    public struct Result: Sendable, CustomStringConvertible {
        public var name: String
        public var transposed: Bool
        public var input: Shape
        public var output: Shape
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var forwardFlops: Double
        public var backwardFlops: Double

        public var forwardGFLOPS: Double { forwardFlops / forwardSeconds / 1e9 }
        public var backwardGFLOPS: Double { backwardFlops / backwardSeconds / 1e9 }

        public var description: String {
            func pad(_ s: String, _ width: Int) -> String {
                s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
            }
            let kind = transposed ? "convT" : "conv"
            return pad(name, 7) + pad(kind, 6) + pad(input.description, 19) + "→ " + pad(output.description, 19)
                + String(format: "fwd %8.2f ms %6.1f GFLOP/s   bwd %8.2f ms %6.1f GFLOP/s",
                         forwardSeconds * 1e3, forwardGFLOPS, backwardSeconds * 1e3, backwardGFLOPS)
        }
    }

    /// How calls are timed.
    public enum Clock: Sendable {
        /// Wall-clock time: what a training step costs.
        case wall
        /// The calling thread's CPU time: with one compute thread, ignores time
        /// lost to other processes on a shared machine. With more threads it
        /// counts only the calling thread, so it estimates the wall time an
        /// idle machine would show (time the caller spends blocked is missed).
        case threadCPU
    }

    /// One layer of the seed model: input channels, output channels, input size
    /// as a divisor of the frame size (128 / divisor), and options.
    struct Layer {
        var name: String
        var transposed: Bool
        var inChannels: Int, outChannels: Int
        var divisor: Int
        var stride = 2
        var bias = false
        var inputGradient = true
    }

    /// The seed model's convolutions, in execution order.
    static let seedLayers: [Layer] = [
        Layer(name: "down1", transposed: false, inChannels: 1, outChannels: 64, divisor: 1, inputGradient: false),
        Layer(name: "down2", transposed: false, inChannels: 64, outChannels: 128, divisor: 2),
        Layer(name: "down3", transposed: false, inChannels: 128, outChannels: 256, divisor: 4),
        Layer(name: "down4", transposed: false, inChannels: 256, outChannels: 512, divisor: 8),
        Layer(name: "down5", transposed: false, inChannels: 512, outChannels: 512, divisor: 16),
        Layer(name: "down6", transposed: false, inChannels: 512, outChannels: 512, divisor: 32),
        Layer(name: "down7", transposed: false, inChannels: 512, outChannels: 512, divisor: 64),
        Layer(name: "up7", transposed: true, inChannels: 512, outChannels: 512, divisor: 128),
        Layer(name: "up6", transposed: true, inChannels: 1024, outChannels: 512, divisor: 64),
        Layer(name: "up5", transposed: true, inChannels: 1024, outChannels: 512, divisor: 32),
        Layer(name: "up4", transposed: true, inChannels: 1024, outChannels: 256, divisor: 16),
        Layer(name: "up3", transposed: true, inChannels: 512, outChannels: 128, divisor: 8),
        Layer(name: "up2", transposed: true, inChannels: 256, outChannels: 64, divisor: 4),
        Layer(name: "up1", transposed: true, inChannels: 128, outChannels: 2, divisor: 2, bias: true),
        Layer(name: "layer1", transposed: false, inChannels: 3, outChannels: 64, divisor: 1),
        Layer(name: "layer2", transposed: false, inChannels: 64, outChannels: 128, divisor: 2),
        Layer(name: "layer3", transposed: false, inChannels: 128, outChannels: 256, divisor: 4),
        Layer(name: "head", transposed: false, inChannels: 256, outChannels: 1, divisor: 8, stride: 1, bias: true),
    ]

    /// Names of the layers `run` knows, in order.
    public static var layerNames: [String] { seedLayers.map(\.name) }

    /// Times every seed-model conv (or those named in `only`) on `images`
    /// frames of `size × size`: the best of `repeats` timed calls after one
    /// warm-up call, with the current `ComputeThreads` setting.
    public static func run(images: Int = 32, size: Int = 128, repeats: Int = 3,
                           only: Set<String>? = nil, clock: Clock = .wall) -> [Result] {
        precondition(images > 0 && size >= 128 && size % 128 == 0, "bench: size must be a multiple of 128")
        var rng = RandomGenerator(seed: 1)
        var results: [Result] = []
        let workspace = Workspace()
        for layer in seedLayers where only?.contains(layer.name) ?? true {
            let side = size / layer.divisor
            let x = Tensor(Shape(images, layer.inChannels, side, side))
            for i in 0..<x.count { x.data[i] = 2 * rng.nextUniform() - 1 }
            let ps = ParameterSet()
            let forward: (Tensor) -> Tensor
            let backward: (Tensor) -> Tensor
            let k = 4, padding = 1
            if layer.transposed {
                let l = ConvTranspose2d(layer.name, in: layer.inChannels, out: layer.outChannels, kernel: k,
                                        stride: layer.stride, padding: padding, bias: layer.bias,
                                        parameters: ps, workspace: workspace)
                forward = l.forward
                backward = { l.backward($0, inputGradient: layer.inputGradient) }
            } else {
                let l = Conv2d(layer.name, in: layer.inChannels, out: layer.outChannels, kernel: k,
                               stride: layer.stride, padding: padding, bias: layer.bias,
                               parameters: ps, workspace: workspace)
                forward = l.forward
                backward = { l.backward($0, inputGradient: layer.inputGradient) }
            }
            ps.finalize()
            ps.initialize(using: &rng)
            let y = forward(x)
            let dy = Tensor(y.shape)
            for i in 0..<dy.count { dy.data[i] = 2 * rng.nextUniform() - 1 }
            _ = backward(dy)
            var bestForward = Double.infinity, bestBackward = Double.infinity
            for _ in 0..<max(1, repeats) {
                bestForward = min(bestForward, seconds(clock) { _ = forward(x) })
                bestBackward = min(bestBackward, seconds(clock) { _ = backward(dy) })
            }
            // One GEMM's worth: 2 · (pixels of the small side) · C_small · C_large·k².
            let small = layer.transposed ? x.shape : y.shape
            let smallChannels = layer.transposed ? layer.inChannels : layer.outChannels
            let largeChannels = layer.transposed ? layer.outChannels : layer.inChannels
            let gemm = 2.0 * Double(images * small.plane) * Double(smallChannels) * Double(largeChannels * k * k)
            results.append(Result(name: layer.name, transposed: layer.transposed, input: x.shape, output: y.shape,
                                  forwardSeconds: bestForward, backwardSeconds: bestBackward,
                                  forwardFlops: gemm, backwardFlops: gemm * (layer.inputGradient ? 2 : 1)))
            withExtendedLifetime(ps) {}
        }
        workspace.release()
        return results
    }

    /// Single-GEMM throughput of `cblas_sgemm` on square `size` matrices (best
    /// of `repeats`), in GFLOP/s: the ceiling the conv numbers are judged against.
    public static func sgemmGFLOPS(size: Int = 1024, repeats: Int = 5, clock: Clock = .wall) -> Double {
        let a = Tensor(Shape(size, size)), b = Tensor(Shape(size, size)), c = Tensor(Shape(size, size))
        for i in 0..<a.count { a.data[i] = Float(i % 7) * 0.1; b.data[i] = Float(i % 5) * 0.1 }
        let run = { sgemm(m: size, n: size, k: size, a.data, lda: size, b.data, ldb: size, beta: 0, c.data, ldc: size) }
        run()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) { best = min(best, seconds(clock, run)) }
        return 2.0 * Double(size * size * size) / best / 1e9
    }

    /// Totals over `results`: all FLOPs over all seconds, forward and backward.
    public static func overallGFLOPS(_ results: [Result]) -> Double {
        let flops = results.reduce(0) { $0 + $1.forwardFlops + $1.backwardFlops }
        let time = results.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds }
        return flops / time / 1e9
    }

    static func seconds(_ clock: Clock, _ body: () -> Void) -> Double {
        if clock == .threadCPU {
            var a = timespec(), b = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a)
            body()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b)
            return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) * 1e-9
        }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
}

