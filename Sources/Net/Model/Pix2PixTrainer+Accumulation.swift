extension Pix2PixTrainer {
    /// One step over K micro-batches of `batch` clips (`vcolor train
    /// --accumulate K`), computing what K ranks of `batch` clips compute, up to
    /// float summation order, in the seed's D-then-G order:
    ///
    /// 1. D's phase, for each micro-batch k: G forward (batch statistics of k),
    ///    D on real and on fake, D's gradients added up; then D's hook and Adam step.
    /// 2. G's phase, for each micro-batch: D (now updated) on fake, and G's
    ///    backward, G's gradients added up; then G's hook and Adam step.
    ///
    /// G's backward needs its forward's activations, which the layers hold
    /// for one batch only, so G's phase runs G's forward again for every
    /// micro-batch but the last one of D's phase, whose activations are still
    /// in place (it goes first): K − 1 extra G forwards per step (same weights,
    /// same batch statistics, so the same fake frames bit for bit; running
    /// statistics are not moved again). The fake frames are not kept.
    ///
    /// Each micro-batch's loss enters with weight 1/K (folded into the loss
    /// gradients' scale, exact for K a power of two), so the gradients are the
    /// mean over micro-batches, which the hooks then average across ranks.
    /// G's `gradientsFinal` (the overlapped average's bucket starts) fires
    /// only during the last micro-batch's backward, when the sums are complete.
    /// BatchNorm: batch statistics per micro-batch; running statistics as
    /// `MicroBatchStatistics` describes. Losses are the mean over micro-batches.
    ///
    /// With a `reproduction` (`--reproducible`, which takes this path for any
    /// K, 1 included) no 1/K is folded in: each micro-batch's gradients,
    /// running statistics and losses go to their share's slot, and the
    /// reduction over every rank's shares in share order replaces the hooks
    /// and `MicroBatchStatistics`' means.
    func accumulatedStep(L: Tensor, ab: Tensor, batch: Int, time: Int, index: Int, microBatches K: Int) -> StepLosses {
        let frames = batch * time, S = L.shape.h, plane = L.shape.plane
        precondition(L.shape.n == K * frames, "input \(L.shape) for \(K) micro-batches of \(batch) clips × \(time) frames")
        let G = generator, D = discriminator, statistics = microBatchStatistics
        let microL = microBatchL, microAB = microBatchAB
        func bind(_ k: Int) {
            microL.rebind(viewing: L.data + k * frames * plane, shape: Shape(frames, 1, S, S))
            microAB.rebind(viewing: ab.data + k * frames * 2 * plane, shape: Shape(frames, 2, S, S))
        }
        let reproduction = self.reproduction
        let share = reproduction == nil ? 1 / Float(K) : 1
        let adversarial = config.isAdversarial(step: index)
        statistics.begin(microBatches: K)
        reproduction?.begin(microBatches: K)
        var lossD = 0.0, lossGAN = 0.0, lossL1 = 0.0

        // D's phase.
        var lastFake: Tensor?
        if adversarial {
            D.parameters.zeroGradients()
            for k in 0..<K {
                bind(k)
                statistics.resetToStart()
                let fake = G.forward(L: microL, batch: batch, time: time)
                statistics.addGenerator()
                reproduction?.keepGeneratorStatistics(k)
                let lossReal = bce.forward(D.forward(L: microL, ab: microAB), target: 1)
                D.backward(bce.backward(scale: 0.5 * share), inputGradient: false, parameterGradients: true)
                let lossFake = bce.forward(D.forward(L: microL, ab: fake), target: 0)
                D.backward(bce.backward(scale: 0.5 * share), inputGradient: false, parameterGradients: true)
                statistics.keepDiscriminator(k)
                let loss = 0.5 * (lossReal + lossFake)
                lossD += Double(loss)
                reproduction?.takeDiscriminatorGradients(k)
                reproduction?.keepDiscriminatorLoss(k, loss)
                lastFake = fake
            }
            if let reproduction { reproduction.reduceDiscriminator() } else { discriminatorGradientsReady?(D.parameters) }
            discriminatorOptimizer.step()
        }

        // G's phase: micro-batch K − 1 first when D's phase left its activations.
        let bucketStarts = G.gradientsFinal
        G.gradientsFinal = nil
        G.parameters.zeroGradients()
        for j in 0..<K {
            let k = adversarial ? (j == 0 ? K - 1 : j - 1) : j
            bind(k)
            if j == K - 1 { G.gradientsFinal = bucketStarts }
            let fake: Tensor
            if let kept = lastFake, j == 0 {
                fake = kept
            } else if adversarial {
                fake = G.forwardAgain(L: microL, batch: batch, time: time)
            } else {
                statistics.resetToStart()
                fake = G.forward(L: microL, batch: batch, time: time)
                statistics.addGenerator()
                reproduction?.keepGeneratorStatistics(k)
            }
            guard adversarial else {
                let l1Loss = l1.forward(fake, microAB)
                lossL1 += Double(l1Loss)
                G.backward(l1.backward(scale: config.lambdaL1 * share))
                reproduction?.takeGeneratorGradients(k)
                reproduction?.keepGeneratorLosses(k, gan: 0, l1: l1Loss)
                continue
            }
            statistics.restoreDiscriminator(k)
            let ganLoss = bce.forward(D.forward(L: microL, ab: fake), target: 1)
            lossGAN += Double(ganLoss)
            statistics.addDiscriminator()
            reproduction?.keepDiscriminatorStatistics(k)
            let dFakeAdversarial = D.backward(bce.backward(scale: config.ganWeight * share), inputGradient: true,
                                              parameterGradients: false)
            let l1Loss = l1.forward(fake, microAB)
            lossL1 += Double(l1Loss)
            let dFakeL1 = l1.backward(scale: config.lambdaL1 * share)
            fakeGradient.copy(from: dFakeAdversarial)
            addInPlace(fakeGradient, dFakeL1)
            G.backward(fakeGradient)
            reproduction?.takeGeneratorGradients(k)
            reproduction?.keepGeneratorLosses(k, gan: ganLoss, l1: l1Loss)
        }
        statistics.finish(microBatches: K, adversarial: adversarial)
        let mean = 1 / Double(K)
        var losses = StepLosses(discriminator: Float(lossD * mean), generatorGAN: Float(lossGAN * mean),
                                generatorL1: Float(lossL1 * mean))
        if let reproduction {
            // Overwrites `finish`'s running statistics with the share-ordered ones.
            losses = reproduction.reduceGenerator(adversarial: adversarial)
        } else {
            generatorGradientsReady?(G.parameters)
        }
        generatorOptimizer.step()
        return losses
    }
}
