#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// No command writes over one of its own inputs: the files a command reads,
/// by identity (`FileIdentity`), against what it is about to write, checked
/// before any work. A rename over the input would replace it (a training
/// log replaced by a report, a black-and-white original by its colouring),
/// and a shell's `>> INPUT` on standard output would append to it.
public struct InputGuard {
    private var inputs: [FileIdentity: String] = [:]

    public init(_ paths: [String] = []) { paths.forEach { add($0) } }

    /// Counts `path` among the inputs (nothing there: nothing to guard).
    public mutating func add(_ path: String) {
        if let id = FileIdentity(path: path) { inputs[id] = path }
    }

    /// The input `path` resolves to, or nil.
    public func input(at path: String) -> String? {
        FileIdentity(path: path).flatMap { inputs[$0] }
    }

    /// Throws when writing `output` would replace an input; `option` names
    /// what the user gives instead ("--out").
    public func check(output: String, option: String) throws {
        guard let original = input(at: output) else { return }
        func spelled(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        let how = spelled(original) == spelled(output) ? "is the input" : "is the input \(original) (the same file under another name)"
        throw StorageError(output, "the output \(how); it would be overwritten, choose another \(option)")
    }

    /// Throws when standard output is one of the inputs: what the command
    /// prints would be appended to it (`>> INPUT`), or the shell has already
    /// emptied it (`> INPUT`) and the command would fail on a cause it cannot see.
    public func checkStandardOutput() throws {
        guard let id = FileIdentity(regularFile: STDOUT_FILENO), let original = inputs[id] else { return }
        throw StorageError(original, "standard output is this input; the command would print over it"
                           + " (a shell's > empties it before the command starts), redirect it elsewhere")
    }
}
