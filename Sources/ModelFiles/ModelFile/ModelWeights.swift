import Net

/// The networks' tensors as a model file stores them (docs/format.md §Tensor names):
/// the generator's weights and buffers, the discriminator's when there is
/// one, and the generator's moving average when a run keeps one. Readers fill
/// these in place; writers store them.
public struct ModelWeights {
    public var generator: ParameterSet
    public var discriminator: ParameterSet?
    /// The optional `/ema/generator` of a checkpoint. Where a file holds one it
    /// is the generator a model is loaded as (`ModelFile.loadModel`).
    public var generatorAverage: ExponentialMovingAverage?

    public init(generator: ParameterSet, discriminator: ParameterSet?, generatorAverage: ExponentialMovingAverage? = nil) {
        self.generator = generator
        self.discriminator = discriminator
        self.generatorAverage = generatorAverage
    }

    /// Both networks of a trainer, and its generator average when it keeps one.
    public init(_ trainer: Pix2PixTrainer) {
        self.init(generator: trainer.generator.parameters, discriminator: trainer.discriminator.parameters,
                  generatorAverage: trainer.generatorAverage)
    }

    /// Each network present, with its group, in file order.
    var networks: [(group: TensorGroup, parameters: ParameterSet)] {
        [(.generator, generator)] + (discriminator.map { [(.discriminator, $0)] } ?? [])
    }

    /// The groups a file holds for these networks, in file order: each network's
    /// weights and buffers followed, with `optimizers`, by the Adam moments of
    /// its trainable tensors; then the generator's average. The checkpoint
    /// writer stores exactly these and every reader fills exactly these, so the
    /// layout is written down once.
    func sections(optimizers: Optimizers? = nil) -> [TensorSection] {
        let average = generatorAverage.map { [TensorSection(group: .generatorAverage, average: $0)] } ?? []
        return networks.flatMap { group, parameters -> [TensorSection] in
            let weights = TensorSection(group: group, parameters: parameters)
            guard let adam = optimizers?.of(group) else { return [weights] }
            let moments = adam.parameters.entries.filter { $0.kind == .trainable }.flatMap { p in
                let range = p.offset..<(p.offset + p.count)
                return [TensorSlot(name: p.name + "/m", shape: p.shape, values: UnsafeMutableBufferPointer(rebasing: adam.m[range])),
                        TensorSlot(name: p.name + "/v", shape: p.shape, values: UnsafeMutableBufferPointer(rebasing: adam.v[range]))]
            }
            return [weights, TensorSection(group: .moments(of: group), tensors: moments)]
        } + average
    }
}

/// Both networks' Adam optimisers: a checkpoint stores their moments under
/// `/optimizer` and their step counts in its attributes (`TrainingState`).
public struct Optimizers {
    public var generator: Adam
    public var discriminator: Adam

    public init(generator: Adam, discriminator: Adam) {
        self.generator = generator
        self.discriminator = discriminator
    }

    /// Both optimisers of a trainer.
    public init(_ trainer: Pix2PixTrainer) {
        self.init(generator: trainer.generatorOptimizer, discriminator: trainer.discriminatorOptimizer)
    }

    func of(_ network: TensorGroup) -> Adam? {
        switch network {
        case .generator: return generator
        case .discriminator: return discriminator
        default: return nil
        }
    }
}

/// One tensor as a file stores it and the model holds it: its name within its
/// group, the shape the model needs, and the model's memory.
struct TensorSlot {
    let name: String
    let shape: [Int]
    let values: UnsafeMutableBufferPointer<Float>
}

/// A group with every tensor it holds: nothing is missing and nothing else is
/// there (PyTorch's BatchNorm counters aside) when a file matches the model.
struct TensorSection {
    let group: TensorGroup
    let tensors: [TensorSlot]
}

extension TensorSection {
    /// `parameters`' weights and buffers, kept in `group`.
    init(group: TensorGroup, parameters: ParameterSet) {
        self.init(group: group, tensors: parameters.entries.map { TensorSlot(name: $0.name, shape: $0.shape, values: $0.values) })
    }

    /// A moving average of a network, under the network's names: its values
    /// and buffers lie as the network's do.
    init(group: TensorGroup, average: ExponentialMovingAverage) {
        self.init(group: group, tensors: average.parameters.entries.map { p in
            let range = p.offset..<(p.offset + p.count)
            let values = p.kind == .trainable ? average.values : average.buffers
            return TensorSlot(name: p.name, shape: p.shape, values: UnsafeMutableBufferPointer(rebasing: values[range]))
        })
    }
}
