import Foundation

/// What a finished child process left behind.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdoutData: Data
    public var stderr: String
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public init(status: Int32, stdoutData: Data, stderr: String) {
        (self.status, self.stdoutData, self.stderr) = (status, stdoutData, stderr)
    }

    /// For a process watched by hand (one the test signals while it runs).
    public init(status: Int32, stdout: String, stderr: String) {
        self.init(status: status, stdoutData: Data(stdout.utf8), stderr: stderr)
    }

    /// The non-empty lines of stderr.
    public var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
}

/// A child process still running at its deadline: it was killed, and the test
/// fails with this error (a hang must never block CI).
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public var command: String
    public var timeout: TimeInterval
    public var stderr: String
    public var description: String {
        "\(command) did not finish within \(Int(timeout)) s and was killed; its stderr: \(stderr)"
    }
}

/// The default deadline of one child process. Every test process gets one;
/// a test that needs longer says so.
public let defaultProcessTimeout: TimeInterval = 300

/// Runs `executable` with a deadline. Output goes to temporary files (no pipe
/// can fill up and stall the child); a process still running after `timeout`
/// seconds gets SIGTERM (mpirun forwards it to its ranks), then, after 5 s,
/// SIGKILL goes to it and to every process below it (`killTree`), and
/// `ProcessTimedOut` is thrown.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       timeout: TimeInterval = defaultProcessTimeout) throws -> ProcessOutput {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    let timedOut = process.isRunning
    if timedOut {
        // Taken before SIGTERM: once the child is gone its children are re-parented and cannot be found.
        let tree = processTree(process.processIdentifier)
        process.terminate()
        let grace = Date().addingTimeInterval(5)
        while process.isRunning && Date() < grace { usleep(20_000) }
        killTree(tree + processTree(process.processIdentifier))
    }
    process.waitUntilExit()
    try? out.close(); try? err.close()
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    if timedOut {
        throw ProcessTimedOut(command: ([executable.lastPathComponent] + arguments).joined(separator: " "),
                              timeout: timeout, stderr: stderr)
    }
    return ProcessOutput(status: process.terminationStatus,
                         stdoutData: (try? Data(contentsOf: outURL)) ?? Data(), stderr: stderr)
}

/// `root` and every process below it, from the parent pids in /proc. The
/// process group is not enough: Foundation starts each child in a group of
/// its own, and so do mpirun (its ranks) and ffmpeg's callers (quickstart).
func processTree(_ root: pid_t) -> [pid_t] {
    var children: [pid_t: [pid_t]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        // /proc/PID/stat: "PID (COMMAND) STATE PPID …"; COMMAND may hold spaces and ')'.
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(pid) }
    }
    var tree = [root], next = 0
    while next < tree.count {
        tree += children[tree[next]] ?? []
        next += 1
    }
    return tree
}

/// SIGKILL to each process and to its process group (ignoring those already gone).
func killTree(_ pids: [pid_t]) {
    for pid in Set(pids) where pid > 1 {
        kill(-pid, SIGKILL)   // the group it leads, if any
        kill(pid, SIGKILL)
    }
}

/// A program on the PATH, or nil.
public func executableOnPath(_ name: String) -> URL? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return dirs.map { URL(fileURLWithPath: "\($0)/\(name)") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// Runs a program from the PATH (ffmpeg, ffprobe, …) with a deadline.
public func runTool(_ tool: String, _ arguments: [String], timeout: TimeInterval = defaultProcessTimeout) throws -> ProcessOutput {
    guard let url = executableOnPath(tool) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(tool) is not on PATH"])
    }
    return try runProcess(url, arguments, timeout: timeout)
}

/// Why `output` is not a one-line error, or nil when it is: a non-zero exit
/// status and exactly one non-blank stderr line ending in one newline (the
/// commands word it `Error: …` or `vcolor prep: …`), and, for a usage error
/// (exit status 64), only argument parser's usage block after it (`Usage: …`
/// lines ending with `  See '…' for more help.`). A trap, a stack dump, a
/// second error or a stray warning all count as more lines.
public func oneLineErrorProblem(_ output: ProcessOutput) -> String? {
    let text = output.stderr
    guard text.hasSuffix("\n") && !text.hasSuffix("\n\n") else { return "stderr does not end in one newline: \(text)" }
    let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = lines.first, !first.trimmingCharacters(in: .whitespaces).isEmpty, !first.hasPrefix(" ") else {
        return "the first line is blank or indented: \(text)"
    }
    if lines.count == 1 { return output.status == 0 ? "exit status 0" : nil }
    guard output.status == 64 else { return "\(lines.count) lines (exit status \(output.status)): \(text)" }
    let usage = lines.dropFirst()
    guard usage.first?.hasPrefix("Usage: ") == true, usage.last?.hasPrefix("  See '") == true,
          !usage.contains(where: { $0.hasPrefix("Error") }) else {
        return "more than the error and the usage: \(text)"
    }
    return nil
}
