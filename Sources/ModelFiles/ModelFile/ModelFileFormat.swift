/// The files a model travels in (docs/format.md §Checkpoints, §Safetensors, §ONNX): our HDF5 training checkpoint,
/// a safetensors file with PyTorch's names and shapes, and the generator as an ONNX model.
public enum ModelFileFormat: String, Sendable {
    case checkpoint
    case safetensors
    case onnx

    /// Told by the file name's extension, as `--model` and `vcolor convert` document.
    public init(path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") {
            self = .checkpoint
        } else if lower.hasSuffix(".safetensors") {
            self = .safetensors
        } else if lower.hasSuffix(".onnx") {
            self = .onnx
        } else {
            throw ModelFileError("\(path): unknown model format; use a .h5 checkpoint, a .safetensors or an .onnx file")
        }
    }
}
