/// Why a safetensors file could not be read or written.
///
/// Every case renders as one line naming the file (or "<memory>") and the
/// problem, because these messages end up on the command line's stderr.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file system said no (open, read, write, fsync or rename failed).
    case io(path: String, reason: String)
    /// The bytes are not a well-formed safetensors file (header length, JSON,
    /// dtype/shape/offset consistency, truncation, overlap, holes).
    case malformed(source: String, reason: String)
    /// The tensor exists but is not stored as float32.
    case unsupportedDType(source: String, name: String, dtype: String)
    /// No tensor of that name.
    case missingTensor(source: String, name: String)
    /// The caller's buffer or shape does not match the tensor's element count.
    case countMismatch(source: String, name: String, expected: Int, actual: Int)
    /// The writer was given something it cannot store (duplicate or reserved
    /// name, negative dimension, values that do not fill the shape).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .malformed(source, reason):
            return "\(source): not a valid safetensors file: \(reason)"
        case let .unsupportedDType(source, name, dtype):
            return "\(source): tensor '\(name)' has dtype \(dtype); only F32 is supported"
        case let .missingTensor(source, name):
            return "\(source): no tensor named '\(name)'"
        case let .countMismatch(source, name, expected, actual):
            return "\(source): tensor '\(name)' has \(expected) elements, caller expected \(actual)"
        case let .invalidArgument(reason):
            return "safetensors writer: \(reason)"
        }
    }
}
