/// `vcolor bench --layers`: every convolution of the model timed on its own at
/// the step's batch size, to show which layer holds a step back.
///
/// Each layer is built standalone (fresh parameters, random input) with the
/// model's shapes, run once to size its buffers, then timed forward and
/// backward (input and weight gradients); the medians are reported with the
/// GFLOP/s they reach (2 FLOPs per multiply-add).
enum LayerBench {
    struct Spec {
        var name: String
        var transposed: Bool
        var inChannels: Int
        var outChannels: Int
        var inSide: Int
        var stride = 2
        var padding = 1
        var bias = false
    }

    /// The convolutions of G and D for `config` (G's down1…down7, up7…up1, D's layer1…3 and head).
    static func specs(_ config: ModelConfig) -> [Spec] {
        let enc = config.encoderWidths
        var specs: [Spec] = []
        var side = config.size
        for i in 0..<7 {
            specs.append(Spec(name: "G.down\(i + 1)", transposed: false, inChannels: i == 0 ? 1 : enc[i - 1],
                              outChannels: enc[i], inSide: side))
            side /= 2
        }
        for i in stride(from: 7, through: 1, by: -1) {
            specs.append(Spec(name: "G.up\(i)", transposed: true, inChannels: i == 7 ? enc[6] : 2 * enc[i - 1],
                              outChannels: i == 1 ? 2 : enc[i - 2], inSide: side, bias: i == 1))
            side *= 2
        }
        let d = config.discriminatorWidths
        for i in 1...3 {
            specs.append(Spec(name: "D.layer\(i)", transposed: false, inChannels: d[i - 1], outChannels: d[i],
                              inSide: config.size >> (i - 1)))
        }
        specs.append(Spec(name: "D.head", transposed: false, inChannels: d[3], outChannels: 1,
                          inSide: config.size / 8, stride: 1, padding: 1, bias: true))
        return specs
    }

    static func run(config: ModelConfig, batch: Int, time: Int, repeats: Int) -> [[(String, BenchValue)]] {
        let n = batch * time
        var rng = RandomGenerator(seed: 5)
        var lines: [[(String, BenchValue)]] = []
        for spec in specs(config) {
            let parameters = ParameterSet()
            let forward: (Tensor) -> Tensor
            let backward: (Tensor) -> Tensor
            if spec.transposed {
                let layer = ConvTranspose2d(spec.name, in: spec.inChannels, out: spec.outChannels,
                                            stride: spec.stride, padding: spec.padding, bias: spec.bias,
                                            parameters: parameters)
                forward = layer.forward
                backward = { layer.backward($0) }
            } else {
                let layer = Conv2d(spec.name, in: spec.inChannels, out: spec.outChannels,
                                   stride: spec.stride, padding: spec.padding, bias: spec.bias,
                                   parameters: parameters)
                forward = layer.forward
                backward = { layer.backward($0) }
            }
            parameters.finalize()
            parameters.initialize(using: &rng)
            let x = Tensor(Shape(n, spec.inChannels, spec.inSide, spec.inSide))
            for i in 0..<x.count { x.data[i] = 2 * rng.nextUniform() - 1 }
            let y = forward(x)
            let dy = Tensor(y.shape)
            for i in 0..<dy.count { dy.data[i] = 2 * rng.nextUniform() - 1 }
            _ = backward(dy)

            var forwardTimes: [Double] = [], backwardTimes: [Double] = []
            for _ in 0..<max(1, repeats) {
                forwardTimes.append(BenchClock.seconds { _ = forward(x) })
                backwardTimes.append(BenchClock.seconds { _ = backward(dy) })
            }
            // MACs: every output (conv) / input (ConvT) element takes in·16 of them.
            let macs = spec.transposed
                ? Double(x.count) * Double(spec.outChannels * 16)
                : Double(y.count) * Double(spec.inChannels * 16)
            let f = BenchClock.median(forwardTimes), b = BenchClock.median(backwardTimes)
            lines.append([
                ("benchmark", .string("conv_layer")), ("layer", .string(spec.name)),
                ("transposed", .int(spec.transposed ? 1 : 0)),
                ("input", .string("\(x.shape)")), ("output", .string("\(y.shape)")),
                ("forward_s", .number(f)), ("backward_s", .number(b)),
                ("forward_gflops", .number(2 * macs / f / 1e9)),
                ("backward_gflops", .number(4 * macs / b / 1e9)),
            ])
        }
        return lines
    }
}
