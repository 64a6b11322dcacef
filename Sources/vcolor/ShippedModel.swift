import Foundation

/// The generator that ships with vcolor (`models/README.md`): what
/// `vcolor colorize` uses when no `--model` is given.
///
/// It is looked for as `models/<fileName>` in the executable's folder and its
/// ancestors (the repository, when vcolor runs from `.build/…/release`), then
/// as `share/vcolor/models/<fileName>` there (an installed prefix), so it is
/// found without configuration wherever the binary sits next to its models.
enum ShippedModel {
    static let fileName = "vcolor-b16-lstm.safetensors"

    /// The shipped model's path, or an error saying where the search started.
    static func path() throws -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        let start = URL(fileURLWithPath: executable).deletingLastPathComponent().standardizedFileURL
        var dir = start
        for _ in 0..<6 {
            for relative in ["models", "share/vcolor/models"] {
                let candidate = dir.appendingPathComponent(relative).appendingPathComponent(fileName).path
                if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
            }
            if dir.path == "/" { break }
            dir.deleteLastPathComponent()
        }
        throw ShippedModelMissing(fileName: fileName, from: start.path)
    }
}

struct ShippedModelMissing: Error, CustomStringConvertible {
    let fileName: String
    /// The executable's folder, where the search started.
    let from: String
    var description: String {
        "no --model given and the shipped model \(fileName) is not next to this vcolor (looked in models/ from \(from) upwards); give --model FILE"
    }
}
