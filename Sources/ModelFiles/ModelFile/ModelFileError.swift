/// A model file (checkpoint or safetensors) that cannot be read, written,
/// converted or used with this model: the one error of ModelFiles, one line
/// for a command's stderr. (The container codecs below it, `SafeTensors` and
/// HDF5Kit, have their own errors; the model-file layer words them as this.)
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
