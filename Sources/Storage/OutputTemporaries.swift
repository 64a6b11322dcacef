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

    private static func parts(_ output: String) -> (parent: NSString, base: String, ext: String) {
        let name = (output as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        return ((output as NSString).deletingLastPathComponent as NSString, (name as NSString).deletingPathExtension, ext)
    }
}
