#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public enum Directories {
    /// Makes `path` and its parents with mkdir; nil on success, else why not in a
    /// few words (Foundation's createDirectory error is an NSError dump, often
    /// without the POSIX reason).
    public static func make(_ path: String) -> String? {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) == 0 { continue }
            let reason = errno
            var isDirectory: ObjCBool = false
            if reason == EEXIST, FileManager.default.fileExists(atPath: partial, isDirectory: &isDirectory), isDirectory.boolValue {
                continue
            }
            return reason == EEXIST ? "\(partial) is a file" : SystemError.words(reason)
        }
        return nil
    }
}
