#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The hidden names beside an output while it is being made: `.BASE.tmp-PID.EXT`
/// for what is being written (the extension last, so ffmpeg picks the muxer
/// from it; none for a folder), and `.BASE.old-PID.EXT` for the earlier output
/// moved aside to be replaced (a folder cannot be renamed over a full one).
///
/// A writer removes its own on every ordinary end, a stop signal included;
/// one that dies on the spot (SIGKILL, a second Ctrl-C, a crash) cannot, so
/// the next writer of the same output removes those whose process is gone.
public enum OutputTemporaries {
    public enum Role: String, CaseIterable {
        case writing = "tmp"
        case replaced = "old"
    }

    /// The hidden name of `output` in `role` for this process.
    public static func path(for output: String, _ role: Role = .writing) -> String {
        let (parent, base, ext) = parts(output)
        return parent.appendingPathComponent(".\(base).\(role.rawValue)-\(getpid())" + (ext.isEmpty ? "" : "." + ext))
    }

    /// Removes the temporaries of `output` left by processes that no longer
    /// exist (a live one's, another run writing now, are kept); returns them.
    @discardableResult
    public static func removeAbandoned(of output: String) -> [String] {
        let (parent, base, ext) = parts(output)
        let directory = (parent as String).isEmpty ? "." : parent as String
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names {
            guard let pid = owner(name, base: base, ext: ext), !isAlive(pid) else { continue }
            let path = parent.appendingPathComponent(name)
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    /// The process id in a temporary name of BASE.EXT, or nil for any other name.
    static func owner(_ name: String, base: String, ext: String) -> pid_t? {
        let suffix = ext.isEmpty ? "" : "." + ext
        for role in Role.allCases {
            let prefix = ".\(base).\(role.rawValue)-"
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { continue }
            let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
            if digits.allSatisfy({ ("0"..."9").contains($0) }), let pid = pid_t(digits), pid > 0 { return pid }
        }
        return nil
    }

    /// Whether a process `pid` exists (EPERM: it does, as another user's).
    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    private static func parts(_ output: String) -> (parent: NSString, base: String, ext: String) {
        let name = (output as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        return ((output as NSString).deletingLastPathComponent as NSString, (name as NSString).deletingPathExtension, ext)
    }
}
