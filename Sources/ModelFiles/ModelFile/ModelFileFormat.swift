/// The two files a model travels in (docs/format.md §Checkpoints, §Safetensors): our HDF5 training checkpoint
/// and a safetensors file with PyTorch's names and shapes.
public enum ModelFileFormat: String, Sendable {
    case checkpoint
    case safetensors

    /// Told by the file name's extension, as `--model` and `vcolor convert` document.
    public init(path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") {
            self = .checkpoint
        } else if lower.hasSuffix(".safetensors") {
            self = .safetensors
        } else {
            throw ModelFileError("\(path): unknown model format; use a .h5 checkpoint or a .safetensors file")
        }
    }
}
