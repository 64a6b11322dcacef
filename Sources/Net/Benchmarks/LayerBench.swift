/// `vcolor bench --layers`: every convolution of the model timed on its own at
/// the step's batch size, to show which layer holds a step back.
///
/// Each layer of `Architecture` is built standalone (fresh parameters, random
/// input) as the networks build it, run once to size its buffers, then timed
/// forward and backward (input and weight gradients); the medians are reported
/// with the GFLOP/s they reach (2 FLOPs per multiply-add).
enum LayerBench {
    /// The convolutions of G and D for `config`, each with the name the bench
    /// reports (G's down1…down7, up7…up1, D's layer1…3 and head).
    static func layers(_ config: ModelConfig) -> [(name: String, layer: Architecture.Layer)] {
        let architecture = Architecture(config)
        return (architecture.encoder + architecture.decoder).map { ("G.\($0.name)", $0.layer) }
            + architecture.discriminator.map { ("D.\($0.name)", $0.layer) }
    }

    static func run(config: ModelConfig, batch: Int, time: Int, repeats: Int) -> [[(String, BenchValue)]] {
        let n = batch * time
        var rng = RandomGenerator(seed: 5)
        var lines: [[(String, BenchValue)]] = []
        for (name, spec) in layers(config) {
            let parameters = ParameterSet()
            let layer = ConvBlock.convolution(spec, parameters: parameters)
            parameters.finalize()
            parameters.initialize(using: &rng)
            let x = Tensor(Shape(n, spec.inChannels, spec.inSide, spec.inSide))
            for i in 0..<x.count { x.data[i] = 2 * rng.nextUniform() - 1 }
            let y = layer.forward(x)
            let dy = Tensor(y.shape)
            for i in 0..<dy.count { dy.data[i] = 2 * rng.nextUniform() - 1 }
            let backward = { _ = layer.backward(dy, inputGradient: true, parameterGradients: true) }
            backward()

            var forwardTimes: [Double] = [], backwardTimes: [Double] = []
            for _ in 0..<max(1, repeats) {
                forwardTimes.append(BenchClock.seconds { _ = layer.forward(x) })
                backwardTimes.append(BenchClock.seconds(backward))
            }
            let macs = Double(n) * Double(spec.macsPerFrame)
            let f = BenchClock.median(forwardTimes), b = BenchClock.median(backwardTimes)
            lines.append([
                ("benchmark", .string("conv_layer")), ("layer", .string(name)),
                ("transposed", .int(spec.kind == .transposedConvolution ? 1 : 0)),
                ("input", .string("\(x.shape)")), ("output", .string("\(y.shape)")),
                ("forward_s", .number(f)), ("backward_s", .number(b)),
                ("forward_gflops", .number(2 * macs / f / 1e9)),
                ("backward_gflops", .number(4 * macs / b / 1e9)),
            ])
        }
        return lines
    }
}
