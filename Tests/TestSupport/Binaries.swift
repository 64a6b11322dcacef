import Foundation

/// The `vcolor` executable in the build products folder that holds the running
/// test bundle (`swift build` puts both in `.build/<configuration>/`).
public func vcolorBinary() -> URL {
    let starts = [Bundle.main.bundleURL] + Bundle.allBundles.map(\.bundleURL)
        + [URL(fileURLWithPath: CommandLine.arguments.first ?? "/")]
    for start in starts {
        var dir = start.standardizedFileURL
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("vcolor")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
    }
    return URL(fileURLWithPath: "vcolor-binary-not-found")
}

/// Runs the built `vcolor` binary, as a user would, with a deadline.
public func runVcolor(_ arguments: [String], environment: [String: String]? = nil,
                      timeout: TimeInterval = defaultProcessTimeout) throws -> ProcessOutput {
    try runProcess(vcolorBinary(), arguments, environment: environment ?? environmentWithoutMPI(), timeout: timeout)
}

/// `vcolor arguments… >> path`, as a shell runs it: standard output appended to a file.
public func runVcolor(_ arguments: [String], appendingStdoutTo path: String,
                      timeout: TimeInterval = defaultProcessTimeout) throws -> ProcessOutput {
    try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "out=$1; shift; exec \"$@\" >> \"$out\"", "sh", path, vcolorBinary().path] + arguments,
                   environment: environmentWithoutMPI(), timeout: timeout)
}
