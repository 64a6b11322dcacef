import ArgumentParser
import DataPrep
import Media
import Foundation

/// `vcolor prep`: videos, images and image folders → a data set of HDF5 shards.
struct PrepCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "prep",
        abstract: "Turn videos, images and image folders into HDF5 shards of CIELAB frame sequences.",
        discussion: """
            Frames are centre-cropped to a square (--fit crop; or pad, stretch) and scaled to --size. \
            Videos are split into sequences at scene cuts; sequences shorter than --min-frames are dropped. \
            Photos under a --stills path each become --clips-per-still clips of --still-frames frames along \
            synthetic camera paths (pan, zoom, slight roll), labelled still. \
            Running the same command again resumes an interrupted run. The exit status is non-zero if \
            any input was skipped.
            """)

    @Argument(help: "Video files, image files, or directories (searched recursively).")
    var inputs: [String] = []

    @Option(name: .long, help: "Output directory for the shards and index.json.")
    var out: String

    @Option(help: "Frame size (a multiple of 128).")
    var size = 128

    @Option(help: "How frames become square: crop, pad or stretch.")
    var fit: FitMode = .crop

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

    @Option(name: .long, help: ArgumentHelp(
        "Label the inputs at PATH (or inside it) NAME in index.json, e.g. real=clips/ or photo-pan=pans/ (repeatable).",
        valueName: "name=path"))
    var label: [InputLabel] = []

    @Option(name: .long, help: ArgumentHelp(
        "A folder (searched recursively) or image whose images are independent photos, not frames: each becomes short clips with a synthetic camera path, labelled still (repeatable; added to the inputs if no input holds it).",
        valueName: "path"))
    var stills: [String] = []

    @Option(name: .long, help: "Clips made of each photo under --stills.")
    var clipsPerStill = 2

    @Option(name: .long, help: "Frames per clip of a photo (from --min-frames to --max-sequence).")
    var stillFrames = 16

    @Flag(help: "Stop at the first bad input.")
    var strict = false

    @Flag(help: "Replace an existing data set in --out instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false
    @OptionGroup var logging: LoggingOptions

    var options: PrepOptions {
        var o = PrepOptions(inputs: inputs, output: out)
        (o.size, o.fit, o.valFraction, o.seed, o.workers) = (size, fit, valFraction, seed, workers)
        (o.shardMB, o.cutThreshold, o.minFrames, o.maxSequenceFrames) = (shardMb, cutThreshold, minFrames, maxSequence)
        (o.deflate, o.strict, o.overwrite, o.labels) = (deflate, strict, overwrite, label)
        (o.stills, o.clipsPerStill, o.stillFrames) = (stills, clipsPerStill, stillFrames)
        return o
    }

    func validate() throws { try options.validate() }

    func run() throws {
        try Prep.checkOwnInputs(options)
        let summary = try stoppable("prep", kept: "what is stored is kept, run the same command again to continue") {
            try Prep.run(options)
        }
        print(json ? try JSONText.sorted(summary) : summary.text)
        if !summary.skipped.isEmpty { throw PrepError("\(summary.skipped.count) input(s) skipped") }
        if !summary.complete { throw ExitCode.failure }
    }
}

extension InputLabel: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
