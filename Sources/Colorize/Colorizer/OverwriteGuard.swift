import Foundation
import Media
import Storage

/// The input is never overwritten: an output that resolves to an input (the
/// same file, the same directory of frames, a hard link or a symbolic link to
/// it), or a standard output redirected to one, is refused before any work
/// (`InputGuard`). For an archivist the black-and-white original is the one
/// thing that must not be lost, and ffmpeg would refuse the same in/out pair
/// only after the whole network pass.
enum OverwriteGuard {
    /// Throws when writing `target` would replace or mix into `source`.
    static func check(source: MediaPath, target: MediaPath) throws {
        var inputDirectory: String?
        let inputs: InputGuard
        switch source {
        case let .video(path), let .image(path): inputs = InputGuard([path])
        case let .imageDirectory(dir, images):
            inputs = InputGuard(images)
            inputDirectory = dir
        }
        try rethrowing { try inputs.checkStandardOutput() }

        var outputs: [String] = []
        switch target {
        case let .video(path), let .image(path): outputs = [path]
        case let .imageDirectory(dir, _):
            if let inputDirectory, let a = FileIdentity(path: dir), a == FileIdentity(path: inputDirectory) {
                throw MediaError("\(dir): the output directory is the input directory \(inputDirectory);"
                                 + " colourised frames would replace or mix with the originals, choose another --out")
            }
            switch source {
            case let .imageDirectory(_, images):
                outputs = images.map { (dir as NSString).appendingPathComponent(ColorizeJob.Sink.frameName($0)) }
            case let .image(path):
                outputs = [(dir as NSString).appendingPathComponent(ColorizeJob.Sink.frameName(path))]
            case .video: outputs = []
            }
        }
        for output in outputs { try rethrowing { try inputs.check(output: output, option: "--out") } }
    }

    /// Colorize's refusals are `MediaError`s, as all its other input and output errors.
    private static func rethrowing(_ check: () throws -> Void) throws {
        do { try check() } catch let error as StorageError { throw MediaError(error.description) }
    }
}
