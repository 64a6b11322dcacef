/// Floating-point operations of a training step and of inference, counted
/// analytically from the layer shapes (for `vcolor bench`).
///
/// What is counted: the GEMM work only, 2 FLOPs per multiply-add. Element-wise
/// layers (BN, activations, concat, losses, Adam) are memory-bound and left out.
/// - Conv: `n · Cout · Hout · Wout · Cin · k²` MACs; ConvT: `n · Cin · Hin · Win · Cout · k²`.
/// - A backward pass costs the forward's MACs once for the weight gradient and
///   once for the input gradient, each only when it is computed: G's down1 has no
///   input gradient; D's first conv has none in D's update (inputs are data);
///   D's re-run in G's update has no weight gradients.
/// - LSTM: `4H · (I + H)` MACs per sequence and time step forward, twice that backward.
///
/// Seed step (w = 64, B = 4, T = 8, 128²): G 286.02 GFLOP (forward 95.29 + LSTM
/// 0.13, backward twice that minus down1's input gradient), D 142.74 GFLOP
/// (three forwards of 18.04, two full backwards less layer1's input gradient,
/// one input-only backward): 428.76 GFLOP.
public struct StepCost: Equatable, Sendable {
    /// FLOPs of one `Pix2PixTrainer.step`.
    public var trainingStep: Double
    /// FLOPs of one generator forward pass (inference) on the same batch.
    public var inference: Double

    public init(config: ModelConfig, batch: Int, time: Int) {
        let n = Double(batch * time)
        func conv(_ cin: Int, _ cout: Int, outSide: Int, k: Int = 4) -> Double {
            n * Double(cout * outSide * outSide * cin * k * k)
        }
        func convT(_ cin: Int, _ cout: Int, inSide: Int) -> Double {
            n * Double(cin * inSide * inSide * cout * 16)
        }
        // Generator.
        let enc = config.encoderWidths
        var side = config.size
        var input = 1
        var downMACs = 0.0, down1MACs = 0.0
        for (i, c) in enc.enumerated() {
            side /= 2
            let m = conv(input, c, outSide: side)
            if i == 0 { down1MACs = m }
            downMACs += m
            input = c
        }
        var upMACs = 0.0
        for i in stride(from: 7, through: 1, by: -1) {
            let cin = i == 7 ? enc[6] : 2 * enc[i - 1]
            let cout = i == 1 ? 2 : enc[i - 2]
            upMACs += convT(cin, cout, inSide: side)
            side *= 2
        }
        let h = Double(config.bottleneckWidth)
        let positions = Double(config.bottleneckSize * config.bottleneckSize)
        let lstmMACs = config.temporal == .lstm ? n * positions * 4 * h * (h + h) : 0
        let gForward = 2 * (downMACs + upMACs + lstmMACs)
        let gTraining = 3 * gForward - 2 * down1MACs

        // Discriminator.
        let s = config.size
        let d = config.discriminatorWidths
        let layer1 = conv(d[0], d[1], outSide: s / 2)
        let dMACs = layer1 + conv(d[1], d[2], outSide: s / 4) + conv(d[2], d[3], outSide: s / 8)
            + conv(d[3], 1, outSide: s / 8 - 1)
        let dForward = 2 * dMACs
        let dUpdateCall = 3 * dForward - 2 * layer1   // real and fake: fwd + full bwd but layer1's dx
        let dGeneratorCall = 2 * dForward              // fwd + input gradients only
        trainingStep = gTraining + 2 * dUpdateCall + dGeneratorCall
        inference = gForward
    }
}
