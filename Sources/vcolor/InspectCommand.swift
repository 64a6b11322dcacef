import ArgumentParser
import DataPrep
import Foundation

/// `vcolor inspect PATH`: what is in a data set, a shard or a checkpoint.
struct InspectCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a data set (directory or index.json), a shard, or a checkpoint / any HDF5 file.")

    @Argument(help: "A data-set directory, index.json, shard or checkpoint.")
    var path: String

    @Flag(help: "Print JSON for scripts.")
    var json = false
    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Read every frame of every shard of a data set (slow: decompresses everything).")
    var verify = false

    func run() throws {
        let result = try Inspection.inspect(path, verify: verify)
        if json {
            let data = try JSONSerialization.data(withJSONObject: result.json, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(result.text)
        }
        // A data set whose shards disagree with index.json is not healthy, whatever else is printed.
        if let problems = result.json["problems"] as? [String], !problems.isEmpty {
            throw PrepError("\(problems.count) problem\(problems.count == 1 ? "" : "s"): \(problems[0])")
        }
    }
}
