import Foundation

/// Finding and running external tools (ffmpeg, mpirun): always an
/// argument vector, never a shell, so file names with spaces or quotes are just
/// names. The one place a tool is looked up on PATH.
public enum ExternalProcess {
    /// `$override` if set and non-empty, else the full path of `tool` on PATH, or nil.
    public static func find(_ tool: String, override: String? = nil) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let override, let path = environment[override], !path.isEmpty { return path }
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// `find`, or a one-line error naming the tool and the variable that overrides it.
    public static func require(_ tool: String, override: String) throws -> String {
        guard let path = find(tool, override: override) else {
            throw MediaError("\(tool) not found on the PATH (install it, or set \(override))")
        }
        return path
    }

    /// Runs to completion, collecting stdout and stderr (both drained at once so
    /// neither pipe can fill and block the child). `environment` nil: this process's.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
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

/// Reads a child's stderr on a background thread, keeping its last 8 KB (where
/// ffmpeg's actual complaint is), so a chatty child — a corrupt file can log an
/// error per frame — never blocks on a full pipe and never fills memory.
public final class StderrCollector: @unchecked Sendable {
    private static let keep = 8192
    private let done = DispatchSemaphore(value: 0)
    private var text = Data()

    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text.append(chunk)
                if text.count > 2 * Self.keep { text = Data(text.suffix(Self.keep)) }
            }
            if text.count > Self.keep { text = Data(text.suffix(Self.keep)) }
            done.signal()
        }
    }

    /// What was kept, once the child has closed stderr. May be called more than once.
    public func wait() -> String {
        done.wait()
        done.signal()
        return String(decoding: text, as: UTF8.self)
    }
}
