import Foundation

/// A tool found on PATH and the version it reports (for `vcolor doctor`).
public struct ToolVersion: Codable, Sendable {
    public var path: String?
    public var version: String?

    /// Finds `name` on PATH and reads the version from `name -version`.
    public static func probe(_ name: String) -> ToolVersion {
        guard let path = ExternalProcess.find(name) else { return ToolVersion(path: nil, version: nil) }
        guard let result = try? ExternalProcess.run(path, ["-version"]), result.status == 0 else {
            return ToolVersion(path: path, version: nil)
        }
        // "ffmpeg version 5.1.6-0+deb12u1 Copyright ..." → "5.1.6-0+deb12u1"
        let words = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first?.split(separator: " ") ?? []
        let version = words.count > 2 && words[1] == "version" ? String(words[2]) : nil
        return ToolVersion(path: path, version: version)
    }
}
