/// What `Conv2d` and `ConvTranspose2d` share, as PyTorch's `_ConvNd` holds it
/// for its two: the hyper-parameters, the weight and bias they declare, the
/// tensors they reuse from call to call, and the bookkeeping that opens and
/// closes every forward and backward. Each subclass keeps its own geometry
/// and GEMMs, which is where the two differ.
public class ConvolutionBase {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// `"\(name).weight"`, N(0, 0.02), in PyTorch's layout: `[out, in, k, k]`
    /// for Conv2d, `[in, out, k, k]` for ConvTranspose2d.
    public let weight: Parameter
    /// `"\(name).bias"`, `[out]`, zeros; nil when the layer has none.
    public let bias: Parameter?

    let workspace: Workspace
    let output = Tensor(Shape(0, 0))
    let inputGradient = Tensor(Shape(0, 0))
    /// The input of the last `forward`, read by `backward`.
    private var input: Tensor?

    /// Declares the weight (in the subclass's `weightShape`) and the bias in `parameters`.
    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int = 4, stride: Int = 2,
                padding: Int = 1, bias: Bool, parameters: ParameterSet, workspace: Workspace = .shared) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                     "\(name): invalid convolution configuration")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.workspace = workspace
        weight = parameters.declare("\(name).weight", shape: Self.weightShape(in: inChannels, out: outChannels, kernel: kernel),
                                    initializer: .normal(mean: 0, std: 0.02))
        self.bias = bias ? parameters.declare("\(name).bias", shape: [outChannels], initializer: .zeros) : nil
    }

    /// The weight's layout, which is where the two layers' tensors differ.
    class func weightShape(in inChannels: Int, out outChannels: Int, kernel: Int) -> [Int] {
        preconditionFailure("\(Self.self) does not give its weight layout")
    }

    /// Opens `forward`: keeps `x` for backward, sizes `output` and traces the call.
    final func beginForward(_ x: Tensor, outputShape: Shape, macs: Int) {
        output.resize(outputShape)
        input = x
        LayerTrace.forward(name, input: x.shape, output: outputShape, macs: macs)
    }

    /// Closes `forward`: adds the bias (if any) at every output position.
    final func endForward() -> Tensor {
        if let b = bias {
            ChannelMajor.addBias(b.value, to: output.data, images: output.shape.n, channels: outChannels,
                                 positions: output.shape.plane)
        }
        return output
    }

    /// The input of the last `forward`, which `backward` differentiates at.
    final func savedInput() -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        return input
    }

    /// The pass over a batch of `images` (`ColumnPass`): how it is cut into
    /// chunks (`ConvPlan`) over a column matrix of `rows` rows, the column
    /// matrix and the channel-major buffer for an image side of `channels`
    /// planes, both from the shared workspace.
    final func columnPass(images: Int, rows: Int, positions: Int, channels: Int) -> ColumnPass {
        let plan = ConvPlan(images: images, rows: rows, positions: positions)
        let columns = workspace.buffer(.columns, count: rows * plan.chunk * positions)
        let channelMajor = plan.perImage ? columns : workspace.buffer(.transposed, count: channels * plan.chunk * positions)
        return ColumnPass(plan: plan, rows: rows, positions: positions, channels: channels, columns: columns,
                          channelMajor: channelMajor, weight: weight.value!)
    }

    /// Opens `backward`: checks `dy` against `outputShape`, sizes
    /// `inputGradient` like `x`, adds dL/db when `parameterGradients`, and
    /// traces the call. False when neither gradient is wanted, so the GEMMs
    /// are skipped.
    final func beginBackward(_ dy: Tensor, outputShape: Shape, input x: Tensor, macs: Int,
                             inputGradient wantInput: Bool, parameterGradients wantParameters: Bool) -> Bool {
        precondition(dy.shape == outputShape, "\(name): output gradient \(dy.shape), expected \(outputShape)")
        inputGradient.resize(x.shape)
        if wantParameters, let b = bias {
            ChannelMajor.accumulateBiasGradient(dy.data, images: outputShape.n, channels: outChannels,
                                                positions: outputShape.plane, into: b.grad!)
        }
        guard wantInput || wantParameters else { return false }
        LayerTrace.backward(name, weights: wantParameters, inputGradient: wantInput, input: x.shape, output: dy.shape,
                            macs: macs)
        return true
    }
}
