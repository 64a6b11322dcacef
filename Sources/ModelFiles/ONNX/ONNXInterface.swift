/// What an ONNX model written by `vcolor convert MODEL model.onnx` promises its
/// caller (docs/format.md §ONNX): the names of its inputs and outputs, the
/// opset, and how the LSTM's tensors relate to the PyTorch ones of
/// docs/format.md §Tensor names. The writer (`ONNXExport`), the reader
/// (`ONNXStore`) and the inspection all take them from here.
public enum ONNXInterface {
    /// The default-domain opset the graph uses: every node is valid at 17 and
    /// ONNX Runtime has run opset 17 since 1.13 (2022).
    public static let opset: Int64 = 17
    /// IR version 8, the one that goes with opset 17.
    public static let irVersion: Int64 = 8

    /// `[N, 1, S, S]` float: normalised lightness `L/50 − 1` of N frames.
    public static let input = "L"
    /// `[N, 2, S, S]` float in [−1, 1]: the normalised `a*b*/110` of the same frames.
    public static let output = "ab"
    /// LSTM variant: `[B, H, s, s]` float, the hidden and cell state of B
    /// streams at every bottleneck position (zeros at a shot's first frame).
    public static let stateInputs = ["state_h", "state_c"]
    /// LSTM variant: the state after the last frame of each stream, the same shape.
    public static let stateOutputs = ["state_h_out", "state_c_out"]
    /// The symbolic dimensions: N frames, B streams (N = B·T, stream-major).
    public static let framesDimension = "frames"
    public static let streamsDimension = "streams"

    /// The metadata key of `ModelConfig`'s JSON, as in a safetensors file.
    static let configKey = "vcolor.config"

    /// ONNX's LSTM tensors (`[1, 4H, I]`, `[1, 4H, H]`, `[1, 8H]`) under these
    /// initializer names.
    static let lstmW = "lstm.W", lstmR = "lstm.R", lstmB = "lstm.B"

    /// ONNX's LSTM keeps the gate blocks in the order i, o, f, c; PyTorch (and
    /// vcolor) in i, f, g, o. ONNX block k holds PyTorch block `gateOrder[k]`.
    static let gateOrder = [0, 3, 1, 2]

    /// Copies the `[4H, columns]` PyTorch matrix `source` into ONNX's gate
    /// order at `destination` (a permutation of whole blocks, no arithmetic),
    /// or back with `toONNX` false.
    static func reorderGates(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>,
                             toONNX: Bool) {
        precondition(source.count == destination.count && source.count % 4 == 0)
        let block = source.count / 4
        for (onnx, torch) in gateOrder.enumerated() {
            let (from, to) = toONNX ? (torch, onnx) : (onnx, torch)
            for i in 0..<block { destination[to * block + i] = source[from * block + i] }
        }
    }

    /// A dimension as text: its value, or its symbol's name.
    static func describe(_ dimension: Onnx_TensorShapeProto.Dimension) -> String {
        if case .dimParam(let name)? = dimension.value { return name }
        return String(dimension.dimValue)
    }
}
