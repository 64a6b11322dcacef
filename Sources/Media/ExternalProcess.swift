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

    /// Where every line a child writes on stderr goes as it comes (nil: it is
    /// only collected). `vcolor --log-level debug` sets it; set once, before
    /// the first child starts.
    nonisolated(unsafe) public static var relay: (@Sendable (String) -> Void)?

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
/// error per frame — never blocks on a full pipe and never fills memory. With
/// `timestamps`, the lines of a reader's `framecrc` output go there instead.
///
/// Nothing a child says reaches the terminal by itself: its lines are counted
/// (`complaints`, `firstComplaint`) for a caller's one-line summary, and
/// passed on line by line only when `ExternalProcess.relay` is set
/// (`--log-level debug`).
public final class StderrCollector: @unchecked Sendable {
    private static let keep = 8192
    private let done = DispatchSemaphore(value: 0)
    private var text = Data()
    /// Guards `count` and `first`, which `complaintsSoFar` reads while lines come.
    private let lock = NSLock()
    private var count = 0
    private var first: String?

    public init(_ handle: FileHandle, timestamps: FrameTimestamps? = nil) {
        let relay = ExternalProcess.relay
        Thread.detachNewThread { [self] in
            var partial = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                partial.append(chunk)
                keep(complaints(in: &partial, timestamps, relay: relay))
            }
            if !partial.isEmpty {
                partial.append(UInt8(ascii: "\n"))
                keep(complaints(in: &partial, timestamps, relay: relay))
            }
            if text.count > Self.keep { text = Data(text.suffix(Self.keep)) }
            timestamps?.end()
            done.signal()
        }
    }

    private func keep(_ chunk: Data) {
        text.append(chunk)
        if text.count > 2 * Self.keep { text = Data(text.suffix(Self.keep)) }
    }

    /// The complete lines of `partial` that `timestamps` does not take (the
    /// rest of a line stays in `partial` for the next chunk), counted and,
    /// with a `relay`, passed on.
    private func complaints(in partial: inout Data, _ timestamps: FrameTimestamps?,
                            relay: (@Sendable (String) -> Void)?) -> Data {
        guard let end = partial.lastIndex(of: UInt8(ascii: "\n")) else { return Data() }
        let lines = String(decoding: partial[..<end], as: UTF8.self)
        partial = Data(partial[(end + 1)...])
        var rest = Data()
        for line in lines.split(separator: "\n", omittingEmptySubsequences: false) where !(timestamps?.take(line) ?? false) {
            rest.append(contentsOf: line.utf8)
            rest.append(UInt8(ascii: "\n"))
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            relay?(trimmed)
            // "    Last message repeated 36 times": that many more of the line before.
            lock.lock()
            if trimmed.hasPrefix("Last message repeated "), let n = Int(trimmed.split(separator: " ")[3]) {
                count += n
            } else {
                count += 1
                if first == nil { first = FFmpeg.untagged(trimmed) }
            }
            lock.unlock()
        }
        return rest
    }

    /// What was kept, once the child has closed stderr. May be called more than once.
    public func wait() -> String {
        done.wait()
        done.signal()
        return String(decoding: text, as: UTF8.self)
    }

    /// How many lines the child wrote (timestamps aside) and the first of
    /// them, without its "[decoder @ 0x…]" tag; once the child has closed stderr.
    public func complaints() -> (count: Int, first: String?) {
        _ = wait()
        return complaintsSoFar()
    }

    /// The same, for the lines come so far: for a caller about to stop the
    /// child, whose complaints about being stopped (a broken pipe) are not the input's.
    public func complaintsSoFar() -> (count: Int, first: String?) {
        lock.lock()
        defer { lock.unlock() }
        return (count, first)
    }
}
