/// A one-line error for the user.
public struct PrepError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
