import Foundation

/// Finding and running ffmpeg/ffprobe: always an argument vector, never a shell.
enum ExternalProcess {
    /// The full path of `tool` on PATH, or nil.
    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func require(_ tool: String) throws -> String {
        guard let path = find(tool) else {
            throw PrepError("\(tool) not found on PATH (install the Debian 'ffmpeg' package)")
        }
        return path
    }

    /// Runs to completion, collecting stdout and stderr (both drained at once so
    /// neither pipe can fill and block the child).
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errorText = StderrCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, errorText.wait())
    }
}

/// Reads a child's stderr on a background thread, keeping the first few KB, so a
/// chatty child (a corrupt file can log an error per frame) never blocks.
final class StderrCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var text = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if text.count < 8192 { text.append(chunk.prefix(8192 - text.count)) }
            }
            done.signal()
        }
    }

    /// Everything collected, once the child has closed stderr.
    func wait() -> String {
        done.wait()
        return String(decoding: text, as: UTF8.self)
    }
}

/// A one-line error for the user.
public struct PrepError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
