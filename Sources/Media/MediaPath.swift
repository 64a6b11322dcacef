import Storage
import Foundation

/// What a colorize INPUT or OUTPUT path names: a video file, one image, or a
/// directory of images (docs/format.md §Command line). Told by existence and extension.
public enum MediaPath: Equatable, Sendable {
    case video(String)
    case image(String)
    /// The images of a directory in name order (as prep reads them).
    case imageDirectory(String, images: [String])

    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "ppm", "pgm"]
    public static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "avi", "webm", "mpg", "mpeg", "ts", "gif"]

    public static func pathExtension(_ path: String) -> String { (path as NSString).pathExtension.lowercased() }

    /// Classifies an existing input.
    public static func input(_ path: String) throws -> MediaPath {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { imageExtensions.contains(pathExtension($0)) && !$0.hasPrefix(".") }.sorted()
            guard !names.isEmpty else { throw MediaError("\(path): a directory without images") }
            return .imageDirectory(path, images: names.map { (path as NSString).appendingPathComponent($0) })
        }
        return imageExtensions.contains(pathExtension(path)) ? .image(path) : .video(path)
    }

    /// Classifies an output: a video or image extension names a file; anything
    /// else (an existing directory, or a name without one of those extensions)
    /// is a directory of PNG images.
    public static func output(_ path: String) -> MediaPath {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .imageDirectory(path, images: [])
        }
        let ext = pathExtension(path)
        if videoExtensions.contains(ext) { return .video(path) }
        if imageExtensions.contains(ext) { return .image(path) }
        return .imageDirectory(path, images: [])
    }

    /// Creates `path` and its parents, or throws one line with the reason.
    public static func createDirectory(_ path: String, for what: String) throws {
        if let why = Directories.make(path) { throw MediaError("\(path): cannot create the \(what) (\(why))") }
    }
}
