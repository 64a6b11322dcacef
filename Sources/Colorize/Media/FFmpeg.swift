import DataPrep
import Foundation

/// Finding and running ffmpeg/ffprobe. Always an argument vector (never a
/// shell), so file names with spaces or quotes are just names.
public enum FFmpeg {
    /// `$VCOLOR_FFMPEG` or `ffmpeg` on the PATH.
    public static func ffmpegPath() throws -> String { try locate("ffmpeg", override: "VCOLOR_FFMPEG") }
    /// `$VCOLOR_FFPROBE` or `ffprobe` on the PATH.
    public static func ffprobePath() throws -> String { try locate("ffprobe", override: "VCOLOR_FFPROBE") }

    static func locate(_ tool: String, override: String) throws -> String {
        guard let path = ExternalProcess.find(tool, override: override) else {
            throw MediaError("\(tool) not found on the PATH (install ffmpeg, or set \(override))")
        }
        return path
    }

    /// Runs a tool to completion; its stdout and stderr.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try ExternalProcess.run(executable, arguments)
    }

    /// The last non-empty line of a tool's stderr (its actual complaint).
    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "failed"
    }
}

/// A medium that cannot be read or written; one line for stderr.
public struct MediaError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
