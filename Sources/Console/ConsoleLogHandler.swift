import Logging

/// The program's one log handler: one line on stderr per message,
/// `label[ rank r/n]: [level: ]message[ key=value …]`. Info and notice carry no
/// level word (they are the normal output); warnings, errors and debug output do.
public struct ConsoleLogHandler: LogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level

    public init(label: String) {
        self.label = label
        logLevel = Console.level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    // The pre-1.16 requirement, so every swift-log the package accepts (from 1.6.0)
    // builds; 1.16 reaches it through its `log(event:)` bridge (a deprecation warning).
    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        Console.writeLine(Self.format(label: label, rank: Console.rankLabel, level: level, message: "\(message)",
                                      metadata: metadata.merging(extra ?? [:]) { $1 }))
    }

    static func format(label: String, rank: String?, level: Logger.Level, message: String,
                       metadata: Logger.Metadata) -> String {
        var text = label + (rank.map { " " + $0 } ?? "") + ": "
        switch level {
        case .info, .notice: break
        case .critical: text += "error: "
        default: text += "\(level): "
        }
        // A message is one line whatever it quotes (an ffmpeg complaint, a path).
        text += message.replacingOccurrences(of: "\n", with: " ")
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        return text
    }
}
