import ArgumentParser
import Colorize
import Foundation
import Net

/// `vcolor quickstart [--dir DIR] [--steps N] [--compare]`.
struct QuickstartCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Try the whole workflow on generated footage: prep, train, colorize, eval.",
        discussion: """
            Makes colourful moving clips with ffmpeg's built-in sources, preps them, trains \
            a narrow model for a few minutes (two ranks under mpirun when available), \
            colourises a held-out black-and-white clip to an MP4 and a PNG strip, evaluates, \
            and prints where everything is and what to run next. --compare also trains the \
            model without its LSTM (temporal none) and evaluates both side by side; --report \
            also writes report.html (curves, eval table, samples).
            """)

    @Option(help: "Directory for everything the quickstart makes.")
    var dir: String = "vcolor-quickstart"

    @Option(help: "Training steps per model.")
    var steps: Int = 600

    @Flag(help: "Also train temporal=none for the same steps and compare the two.")
    var compare = false

    @Flag(help: "Also write report.html: training curves, the eval table and sample strips on one page.")
    var report = false

    @Option(help: "Training ranks (default: 2 under mpirun when there are two cores, else 1).")
    var ranks: Int?

    @Option(help: "Base channel width of the model (the seed model has 64).")
    var base: Int = 16

    @Option(help: "Frame size (a multiple of 128).")
    var size: Int = 128

    @Option(help: "Frames per generated source clip.")
    var frames: Int = 48

    @Option(help: "A real colour clip the shipped model colours first, made black and white (default: samples/carphone.mp4 when scripts/fetch-sample-clip.sh has fetched it).")
    var realClip: String?
    @OptionGroup var logging: LoggingOptions

    var options: Quickstart.Options {
        var o = Quickstart.Options(executable: Self.ownExecutable())
        (o.directory, o.steps, o.compare, o.report, o.ranks) = (dir, steps, compare, report, ranks)
        (o.baseWidth, o.size, o.framesPerSource) = (base, size, frames)
        o.shippedModel = try? ShippedModel.path()
        o.realClip = realClip ?? Self.fetchedClip(shippedModel: o.shippedModel)
        return o
    }

    /// The clip scripts/fetch-sample-clip.sh fetched: `samples/carphone.mp4` in
    /// the folder that holds the shipped model's `models/` (the repository), or
    /// in the current folder; nil when neither has it.
    static func fetchedClip(shippedModel: String?) -> String? {
        var places = ["samples/carphone.mp4"]
        if let shippedModel {
            let repository = URL(fileURLWithPath: shippedModel).deletingLastPathComponent().deletingLastPathComponent()
            places.insert(repository.appendingPathComponent("samples/carphone.mp4").path, at: 0)
        }
        return places.first { FileManager.default.isReadableFile(atPath: $0) }
    }

    func validate() throws {
        try options.validate()
        if let realClip, !FileManager.default.isReadableFile(atPath: realClip) {
            throw ValidationError("--real-clip \(realClip): no such readable file")
        }
    }

    func run() throws {
        ComputeThreads.set(ComputeThreads.defaultCount())
        let r = try Quickstart(options: options).run()
        if let real = r.realClip {
            print("The shipped model on a real clip it never saw (\(options.realClip ?? "")), beside grey and the truth:")
            print(real.report.table())
            print("  \(real.video) (colourised), \(real.strip) (rows: input, colourised, original)\n")
        } else if let why = r.realClipSkipped {
            print("Skipped the shipped model on a real clip: \(why).\n")
        }
        print("The model trained just now on the generated clips:")
        print(r.report.table())
        print("""

            Made in \(dir):
              data set          \(r.data)   (vcolor inspect \(r.data))
              training runs     \(r.runs.joined(separator: ", "))   (metrics.jsonl, samples/, checkpoints/)
              model             \(r.checkpoints[0])
              colourised clip   \(r.video)   (from held-out/input.mp4; held-out/original.mp4 is the truth)
              strip             \(r.strip)   (rows: input, colourised, original)
              eval              \(dir)/eval.json\(r.reportPage.map { "\n  report            \($0)   (open in a browser)" } ?? "")

            Next:
              vcolor colorize --model \(r.checkpoints[0]) YOUR_FILM.mp4 --out coloured.mp4
              vcolor report \(r.runs.joined(separator: " ")) --eval \(dir)/eval.json --out report.html
              \(r.resumeCommand)
              vcolor convert \(r.checkpoints[0]) model.safetensors
              vcolor prep YOUR_VIDEOS/ --out mydata   then   mpirun -np 2 vcolor train --data mydata --run myrun
            """)
    }

    /// This process's executable, so `train` runs the same build.
    static func ownExecutable() -> String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if link != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: link) { return link }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
