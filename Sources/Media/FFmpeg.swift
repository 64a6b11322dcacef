import Foundation
import Storage

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

    /// Why an ffmpeg that writes failed, in a few words. When the output's file
    /// system refused (a full disk), the operating system's reason ("no space
    /// left on device"); else ffmpeg's first complaint — the option or muxer
    /// that failed, without its `[libx264 @ 0x…]` tag — rather than the
    /// generic lines it prints after it ("Error initializing output stream 0:0 --").
    public static func writeFailure(_ text: String) -> String {
        for code in [ENOSPC, EDQUOT, EFBIG, EROFS, EACCES, EIO] {
            let words = SystemError.words(code)
            if text.contains(words) { return words.prefix(1).lowercased() + words.dropFirst() }
        }
        let consequences = ["Error initializing output stream", "Could not write header for output file",
                            "Error while opening encoder", "Conversion failed", "Last message repeated"]
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first(where: { line in !line.isEmpty && !consequences.contains { line.hasPrefix($0) } }) else {
            return "ffmpeg: " + lastLine(text)
        }
        return "ffmpeg: " + untagged(first)
    }

    /// "[libx264 @ 0x55d0c3a0] Error setting preset/tune bogus/(null)." → the message alone.
    public static func untagged(_ line: String) -> String {
        if line.hasPrefix("["), let tag = line.range(of: "] "), line[..<tag.lowerBound].contains(" @ 0x") {
            return String(line[tag.upperBound...])
        }
        return line
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
