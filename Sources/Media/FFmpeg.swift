import Foundation

/// ffmpeg: where it is, how it is started, and how its complaints read.
/// (Inputs are probed in-process, by `FormatProbe`.)
public enum FFmpeg {
    /// `$VCOLOR_FFMPEG` or `ffmpeg` on the PATH.
    public static func ffmpegPath() throws -> String { try ExternalProcess.require("ffmpeg", override: "VCOLOR_FFMPEG") }

    /// Runs ffmpeg with `arguments` to completion (stdout and stderr collected), in `environment`.
    public static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try ExternalProcess.run(try ffmpegPath(), arguments, environment: environment)
    }

    /// Sets `process` up to run the ffmpeg at `path` (from `ffmpegPath()`) with
    /// `arguments`, in `environment`; the caller wires its pipes and starts it.
    public static func prepare(_ process: Process, path: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: path)
        process.environment = environment
        process.arguments = arguments
    }

    /// The environment every ffmpeg child gets: this process's, with OpenBLAS
    /// held to one thread. Debian's ffmpeg loads OpenBLAS through a filter
    /// library without ever calling it, and OpenBLAS's idle worker threads spin
    /// on `sched_yield` for a while after every start: CPU that prep, with an
    /// ffmpeg per input, would otherwise spend on nothing (docs/dataprep.md §Speed).
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return environment
    }

    /// The last non-empty line of a tool's stderr (its actual complaint), without
    /// the repeated input path when one is given.
    public static func lastLine(_ text: String, path: String? = nil) -> String {
        var line = text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "failed"
        if let path {
            line = line.replacingOccurrences(of: "file:" + path + ": ", with: "")
                .replacingOccurrences(of: path + ": ", with: "")
        }
        return line
    }
}

/// A medium that cannot be read or written; one line for stderr. `reason` is the
/// message without the path, for callers that name the path themselves.
public struct MediaError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public let reason: String
    public init(_ description: String) {
        self.description = description
        reason = description
    }
    public init(path: String, reason: String) {
        description = "\(path): \(reason)"
        self.reason = reason
    }
}
