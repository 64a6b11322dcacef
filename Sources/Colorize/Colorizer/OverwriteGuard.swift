#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Media

/// The input is never overwritten: an output that resolves to an input (the
/// same file, the same directory of frames, a hard link or a symbolic link to
/// it) is refused before any work. For an archivist the black-and-white
/// original is the one thing that must not be lost, and ffmpeg would refuse
/// the same in/out pair only after the whole network pass.
enum OverwriteGuard {
    /// Device and inode: what "the same file" means, whatever the path spelling.
    struct Identity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// The identity of what `path` names (symbolic links followed), or nil when nothing is there.
    static func identity(_ path: String) -> Identity? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return Identity(device: UInt64(s.st_dev), inode: UInt64(s.st_ino))
    }

    /// Throws when writing `target` would replace or mix into `source`.
    static func check(source: MediaPath, target: MediaPath) throws {
        var inputs: [Identity: String] = [:]
        func add(_ path: String) { if let id = identity(path) { inputs[id] = path } }
        var inputDirectory: String?
        switch source {
        case let .video(path), let .image(path): add(path)
        case let .imageDirectory(dir, images):
            images.forEach(add)
            inputDirectory = dir
        }

        var outputs: [String] = []
        switch target {
        case let .video(path), let .image(path): outputs = [path]
        case let .imageDirectory(dir, _):
            if let inputDirectory, let a = identity(dir), a == identity(inputDirectory) {
                throw MediaError("\(dir): the output directory is the input directory \(inputDirectory);"
                                 + " colourised frames would replace or mix with the originals, choose another --out")
            }
            switch source {
            case let .imageDirectory(_, images):
                outputs = images.map { (dir as NSString).appendingPathComponent((($0 as NSString).lastPathComponent as NSString).deletingPathExtension + ".png") }
            case let .image(path):
                outputs = [(dir as NSString).appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".png")]
            case .video: outputs = []
            }
        }
        for output in outputs {
            if let id = identity(output), let original = inputs[id] {
                let how = output == original ? "is the input" : "is the input \(original) (the same file under another name)"
                throw MediaError("\(output): the output \(how); it would be overwritten, choose another --out")
            }
        }
    }
}
