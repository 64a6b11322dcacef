import ArgumentParser
import DataPrep
import Foundation
import Storage
import Imaging

/// `vcolor prep`: videos, images and image folders → a data set of HDF5 shards.
struct PrepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prep",
        abstract: "Turn videos, images and image folders into HDF5 shards of CIELAB frame sequences.",
        discussion: """
            Frames are centre-cropped to a square (--fit crop; or pad, stretch) and scaled to --size. \
            Videos are split into sequences at scene cuts; sequences shorter than --min-frames are dropped. \
            Running the same command again resumes an interrupted run. The exit status is non-zero if \
            any input was skipped.
            """)

    @Argument(help: "Video files, image files, or directories (searched recursively).")
    var inputs: [String]

    @Option(name: .long, help: "Output directory for the shards and index.json.")
    var out: String

    @Option(help: "Frame size (a multiple of 128).")
    var size = 128

    @Option(help: "How frames become square: crop, pad or stretch.")
    var fit: String = FitMode.crop.rawValue

    @Option(name: .long, help: "Fraction of source videos held out for validation (0…1).")
    var valFraction = 0.1

    @Option(help: "Seed of the train/validation split.")
    var seed: UInt64 = 0

    @Option(help: "Videos decoded at once (default: the number of cores).")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Shard size limit in MB (a shard may exceed it by the sequences still being written).")
    var shardMb = 512.0

    @Option(name: .long, help: "Scene-cut threshold on the L-histogram distance (0…1; above 1 disables cut detection).")
    var cutThreshold = 0.35

    @Option(name: .long, help: "Shortest sequence kept, in frames.")
    var minFrames = 8

    @Option(name: .long, help: "Longest sequence, in frames; longer shots are split (keeps shards bounded).")
    var maxSequence = 1000

    @Option(help: "Deflate level of the shards (0…9).")
    var deflate = 1

    @Flag(help: "Stop at the first bad input.")
    var strict = false

    @Flag(help: "Replace an existing data set in --out instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func run() throws {
        guard let fitMode = FitMode(rawValue: fit) else {
            throw ValidationError("--fit must be one of crop, pad, stretch")
        }
        var options = PrepOptions(inputs: inputs, output: out)
        options.size = size
        options.fit = fitMode
        options.valFraction = valFraction
        options.seed = seed
        options.workers = workers
        options.shardMB = shardMb
        options.cutThreshold = cutThreshold
        options.minFrames = minFrames
        options.maxSequenceFrames = maxSequence
        options.deflate = deflate
        options.strict = strict
        options.overwrite = overwrite
        let summary: PrepSummary
        StopSignal.install()
        do {
            summary = try Prep.run(options)
        } catch let stop as StoppedBySignal {
            FileHandle.standardError.write(Data("vcolor prep: \(stop); what is stored is kept, run the same command again to continue\n".utf8))
            StopSignal.dieBy(stop.signal)
        } catch {
            FileHandle.standardError.write(Data("vcolor prep: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
        if !summary.skipped.isEmpty {
            FileHandle.standardError.write(Data("vcolor prep: \(summary.skipped.count) input(s) skipped\n".utf8))
            throw ExitCode.failure
        }
        if !summary.complete { throw ExitCode.failure }
    }
}
