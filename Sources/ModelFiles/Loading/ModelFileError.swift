/// A model file that cannot be read, converted or used; one line for stderr.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
