/// The losses of one training step.
public struct StepLosses: Equatable, Sendable {
    /// `½ [BCE(D(real), 1) + BCE(D(fake), 0)]`, D's loss before its update
    /// (0 in a step without adversarial part, where D is neither run nor trained).
    public var discriminator: Float
    /// `BCE(D(fake), 1)` with D after its update (0 in a step without adversarial part).
    public var generatorGAN: Float
    /// `mean |fake − real|` (unscaled; G's loss is `ganWeight · generatorGAN + λ · generatorL1`).
    public var generatorL1: Float
    // Made only inside Net (the trainer, the step benchmark), so Swift's
    // memberwise initialiser serves; other modules read the losses.
}

/// One pix2pix training step (docs/model.md) over a generator, a discriminator and
/// their two Adam optimisers, independent of how many processes train.
///
/// Data parallelism plugs in through the two hooks, called after a network's
/// gradients are complete and before its Adam step (the distributed trainer
/// averages them across ranks there). After the first step, `step` allocates
/// nothing: every buffer belongs to a layer or to this object and is reused.
public final class Pix2PixTrainer {
    public let config: ModelConfig
    public let generator: Generator
    public let discriminator: Discriminator
    public let generatorOptimizer: Adam
    public let discriminatorOptimizer: Adam
    /// G's moving average (`config.emaDecay` > 0), updated by the caller after
    /// each step once the ranks agree on the BatchNorm buffers; nil without one.
    public let generatorAverage: ExponentialMovingAverage?

    /// The factor of `config.learningRate` both optimisers run at after any
    /// warm-up (the distributed trainer's `--lr-scaling` for its global batch); 1 by default.
    public var learningRateScale = 1.0

    /// Called with D's parameters once D's gradients are complete, before D's Adam step.
    public var discriminatorGradientsReady: ((ParameterSet) -> Void)?
    /// Called with G's parameters once G's gradients are complete, before G's Adam step.
    public var generatorGradientsReady: ((ParameterSet) -> Void)?

    let bce = BCEWithLogitsLoss()
    let l1 = L1Loss()
    /// dLoss_G / dfake: the adversarial part through D plus λ times the L1 part.
    let fakeGradient = Tensor(Shape(0, 0))
    /// A micro-batch's L and ab inside the step's batch (accumulated steps only).
    lazy var microBatchL = Tensor(viewing: fakeGradient.data, shape: Shape(0, 0))
    lazy var microBatchAB = Tensor(viewing: fakeGradient.data, shape: Shape(0, 0))
    /// `--reproducible`'s reduction, which every step then goes through
    /// (`accumulatedStep`, even with one micro-batch) in place of the hooks.
    public var reproduction: ShareOrderedReduction?
    /// The running statistics of accumulated steps (created by the first one).
    lazy var microBatchStatistics = MicroBatchStatistics(generator: generator.parameters.bufferValues,
                                                         discriminator: discriminator.parameters.bufferValues)
    /// `config.learningRate` as the decimal it was written as (see `Adam.decimal`),
    /// formed once: `Float.description` allocates, and a warm-up sets the rate every step.
    private let learningRateDecimal: Double

    /// Builds both networks; G's initial values are drawn from `rng` first, then D's.
    public init(config: ModelConfig, rng: inout RandomGenerator) throws {
        self.config = config
        learningRateDecimal = Adam.decimal(config.learningRate)
        generator = try Generator(config: config, rng: &rng)
        discriminator = try Discriminator(config: config, rng: &rng)
        generatorOptimizer = Adam(parameters: generator.parameters, learningRate: config.learningRate,
                                  beta1: config.beta1, beta2: config.beta2)
        discriminatorOptimizer = Adam(parameters: discriminator.parameters,
                                      learningRate: config.learningRate,
                                      beta1: config.beta1, beta2: config.beta2)
        generatorAverage = config.emaDecay > 0
            ? ExponentialMovingAverage(parameters: generator.parameters, decay: config.emaDecay) : nil
    }

    /// Runs `body` with the generator weights validation and eval use: its
    /// moving average once there is one, else its own.
    public func withEvaluationWeights<R>(_ body: () throws -> R) rethrows -> R {
        guard let average = generatorAverage, average.isStarted else { return try body() }
        return try average.withAverage(body)
    }

    /// One step on a clip batch.
    ///
    /// - Parameters:
    ///   - L: `[microBatches*batch*time, 1, S, S]` normalised lightness (`L/50 − 1`).
    ///   - ab: `[microBatches*batch*time, 2, S, S]` the true normalised colours (`ab/110`).
    ///   - batch: clips per micro-batch.
    ///   - index: the step's 0-based index in the run, which sets its learning
    ///     rate and whether it is adversarial (`ModelConfig`'s recipe).
    ///   - microBatches: K > 1 accumulates the gradients of K micro-batches of
    ///     `batch` clips into one update per network, as K ranks of `batch`
    ///     would (`accumulatedStep`).
    public func step(L: Tensor, ab: Tensor, batch: Int, time: Int, index: Int = 0, microBatches: Int = 1) -> StepLosses {
        precondition(ab.shape == Shape(L.shape.n, 2, L.shape.h, L.shape.w),
                     "target ab \(ab.shape) for input \(L.shape)")
        generator.training = true
        discriminator.training = true
        let G = generator, D = discriminator
        setLearningRates(step: index)

        if microBatches > 1 || reproduction != nil {
            precondition(reproduction.map { $0.microBatches == microBatches } ?? true,
                         "\(microBatches) micro-batches for a reduction of \(reproduction?.microBatches ?? 0)")
            return accumulatedStep(L: L, ab: ab, batch: batch, time: time, index: index, microBatches: microBatches)
        }

        let fake = G.forward(L: L, batch: batch, time: time)
        guard config.isAdversarial(step: index) else {
            // G alone on λ · L1; D is neither run nor trained (nor its gradients averaged).
            G.parameters.zeroGradients()
            let lossL1 = l1.forward(fake, ab)
            G.backward(l1.backward(scale: config.lambdaL1))
            generatorGradientsReady?(G.parameters)
            generatorOptimizer.step()
            return StepLosses(discriminator: 0, generatorGAN: 0, generatorL1: lossL1)
        }

        // D's update: loss_D = ½ [BCE(D(real), 1) + BCE(D(fake), 0)], with fake
        // detached (no gradient w.r.t. D's input is needed on either call).
        D.parameters.zeroGradients()
        let lossReal = bce.forward(D.forward(L: L, ab: ab), target: 1)
        D.backward(bce.backward(scale: 0.5), inputGradient: false, parameterGradients: true)
        let lossFake = bce.forward(D.forward(L: L, ab: fake), target: 0)
        D.backward(bce.backward(scale: 0.5), inputGradient: false, parameterGradients: true)
        discriminatorGradientsReady?(D.parameters)
        discriminatorOptimizer.step()

        // G's update: loss_G = w · BCE(D(fake), 1) + λ · L1(fake, real), D re-run with
        // its new weights. D's own gradients are not accumulated (they are zeroed
        // at the next step anyway, but skipping them saves a third of D's backward).
        G.parameters.zeroGradients()
        let lossGAN = bce.forward(D.forward(L: L, ab: fake), target: 1)
        let dFakeAdversarial = D.backward(bce.backward(scale: config.ganWeight), inputGradient: true,
                                          parameterGradients: false)
        let lossL1 = l1.forward(fake, ab)
        let dFakeL1 = l1.backward(scale: config.lambdaL1)
        fakeGradient.copy(from: dFakeAdversarial)
        addInPlace(fakeGradient, dFakeL1)
        G.backward(fakeGradient)
        generatorGradientsReady?(G.parameters)
        generatorOptimizer.step()

        return StepLosses(discriminator: 0.5 * (lossReal + lossFake), generatorGAN: lossGAN,
                          generatorL1: lossL1)
    }

    /// Both optimisers' rate for the step with this 0-based index:
    /// `learningRate × learningRateScale × warmupFactor`, formed in Double from
    /// the decimal `--lr` was written as. Unscaled, after the warm-up, the rate
    /// is set back once to `config.learningRate` itself.
    func setLearningRates(step index: Int) {
        guard config.warmupSteps > 0 || learningRateScale != 1 else { return }
        if let factor = config.warmupFactor(step: index) {
            generatorOptimizer.setLearningRate(learningRateDecimal * learningRateScale * factor)
            discriminatorOptimizer.setLearningRate(learningRateDecimal * learningRateScale * factor)
        } else if learningRateScale != 1 {
            generatorOptimizer.setLearningRate(learningRateDecimal * learningRateScale)
            discriminatorOptimizer.setLearningRate(learningRateDecimal * learningRateScale)
        } else if generatorOptimizer.learningRate != config.learningRate {
            generatorOptimizer.learningRate = config.learningRate
            discriminatorOptimizer.learningRate = config.learningRate
        }
    }
}
