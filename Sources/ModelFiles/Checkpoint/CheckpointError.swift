/// A checkpoint that cannot be written, read or used with this model. The
/// description is one line, fit for a command's stderr.
public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
