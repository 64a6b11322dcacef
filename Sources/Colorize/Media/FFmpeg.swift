import Foundation

/// Finding and running ffmpeg/ffprobe. Always an argument vector (never a
/// shell), so file names with spaces or quotes are just names.
public enum FFmpeg {
    /// `$VCOLOR_FFMPEG` or `ffmpeg` on the PATH.
    public static func ffmpegPath() throws -> String { try locate("ffmpeg", override: "VCOLOR_FFMPEG") }
    /// `$VCOLOR_FFPROBE` or `ffprobe` on the PATH.
    public static func ffprobePath() throws -> String { try locate("ffprobe", override: "VCOLOR_FFPROBE") }

    static func locate(_ tool: String, override: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment[override], !path.isEmpty { return path }
        for dir in (environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MediaError("\(tool) not found on the PATH (install ffmpeg, or set \(override))")
    }

    /// Runs a tool to completion; its stdout and stderr.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = StderrCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, errors.wait())
    }

    /// The last non-empty line of a tool's stderr (its actual complaint).
    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "failed"
    }
}

/// Reads a pipe to its end on a background thread, so a chatty child never
/// blocks on a full stderr pipe while we are busy with its stdout or stdin.
final class StderrCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        done.signal()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A medium that cannot be read or written; one line for stderr.
public struct MediaError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
