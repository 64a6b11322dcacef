/// One-line errors of eval, report and quickstart: bad options and inputs
/// that are not about decoding or encoding media (those stay `MediaError`).
/// Each prints as its message alone (`Error: MESSAGE` from the command line).
public struct EvalError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// See `EvalError`.
public struct ReportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// See `EvalError`.
public struct QuickstartError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
