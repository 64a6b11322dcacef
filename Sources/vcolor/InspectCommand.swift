import ArgumentParser
import DataPrep
import Foundation
import ModelFiles

/// `vcolor inspect PATH`: what is in a data set, a shard, a checkpoint or an ONNX model.
struct InspectCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a data set (directory or index.json), a shard, a checkpoint / any HDF5 file, or an ONNX model.")

    @Argument(help: "A data-set directory, index.json, shard, checkpoint or .onnx model.")
    var path: String

    @Flag(help: "Print JSON for scripts.")
    var json = false
    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Read every frame of every shard of a data set (slow: decompresses everything); load a checkpoint as train, colorize and convert do (every tensor against its checksum).")
    var verify = false

    func run() throws {
        if path.lowercased().hasSuffix(".onnx") {
            let summary = try ONNXSummary(path)
            try show(text: summary.text, json: summary.json)
            return
        }
        var result = try Inspection.inspect(path, verify: verify)
        if verify, Self.isCheckpoint(result.json) { verifyCheckpoint(&result) }
        try show(text: result.text, json: result.json)
        // A data set whose shards disagree with index.json is not healthy, whatever else is printed.
        if let problems = result.json["problems"] as? [String], !problems.isEmpty {
            throw PrepError("\(problems.count) problem\(problems.count == 1 ? "" : "s"): \(problems[0])")
        }
    }

    private func show(text: String, json object: [String: Any]) throws {
        if json {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(text)
        }
    }

    /// Whether the listing is of a checkpoint (an HDF5 file with the checkpoint's `format`).
    static func isCheckpoint(_ listing: [String: Any]) -> Bool {
        let attributes = (listing["root"] as? [String: Any])?["attributes"] as? [String: Any]
        return listing["kind"] as? String == "hdf5" && attributes?["format"] as? String == Checkpoint.format
    }

    /// A checkpoint is verified by the loaders' own code (`ModelFile.verify`):
    /// what train, colorize or convert would refuse is its problem.
    func verifyCheckpoint(_ result: inout (json: [String: Any], text: String)) {
        var problems: [String] = []
        do {
            let file = try ModelFile.open(path, as: .checkpoint)
            defer { file.close() }
            try file.verify()
        } catch {
            problems.append(String(describing: error))
        }
        result.json["verified"] = true
        result.json["problems"] = problems
        result.text += problems.first.map { "\nPROBLEMS   1\n  \($0)" }
            ?? "\nverified   every tensor matches its checksum, is finite, and loads as the model"
    }
}
