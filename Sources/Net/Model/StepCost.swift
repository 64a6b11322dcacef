/// Floating-point operations of a training step and of inference, counted
/// from `Architecture` (for `vcolor bench`): 2 FLOPs per multiply-add of the
/// layers that multiply matrices, each layer's cost `Architecture.Layer.macsPerFrame`
/// per frame and pass. Element-wise layers (BN, activations, concat, losses,
/// Adam) are memory-bound and left out.
///
/// A backward pass costs the forward's multiply-adds once for the weight
/// gradients and once for the input gradients, each only when it is computed:
/// a network's first layer reads data, so it needs no input gradient in its own
/// update (G's down1, D's layer1), and D's re-run in G's update computes input
/// gradients only. `ArchitectureTests` checks the count against the passes a
/// real `Pix2PixTrainer.step` runs.
public struct StepCost: Equatable, Sendable {
    /// FLOPs of one `Pix2PixTrainer.step`.
    public var trainingStep: Double
    /// FLOPs of one generator forward pass (inference) on the same batch.
    public var inference: Double

    public init(config: ModelConfig, batch: Int, time: Int) {
        let architecture = Architecture(config)
        let frames = Double(batch * time)
        /// Multiply-adds of a network's forward pass and of its first layer's.
        func macs(_ layers: [Architecture.Layer]) -> (all: Double, first: Double) {
            (frames * Double(layers.reduce(0) { $0 + $1.macsPerFrame }), frames * Double(layers[0].macsPerFrame))
        }
        let g = macs(architecture.generatorLayers), d = macs(architecture.discriminatorLayers)
        // G: forward, weight gradients, input gradients but down1's.
        let generator = 3 * g.all - g.first
        // D on real and on fake frames in D's update: forward, weight gradients,
        // input gradients but layer1's; on fake frames in G's update: forward and input gradients.
        let discriminator = 2 * (3 * d.all - d.first) + 2 * d.all
        trainingStep = 2 * (generator + discriminator)
        inference = 2 * g.all
    }
}
