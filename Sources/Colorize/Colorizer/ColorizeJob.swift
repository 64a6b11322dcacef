import Console
import Foundation
import Media
import Storage
import Net
import ModelFiles

/// `vcolor colorize`: from an input (video, image, directory of images) to an
/// output of the same resolution (as shown: a phone's display matrix applied)
/// and frame count, and, video to video, every frame at its original's
/// timestamp and the original's other streams kept (`KeptStreams`). A video
/// into a video goes in chunks (`ChunkedColorize`): resumable, and shared
/// by the ranks of a `team`; images and folders go frame by frame (`Sink`).
public struct ColorizeJob {
    public struct Options: Sendable {
        public var batch = 8
        public var crf = 18
        public var codec = "libx264"
        /// x264/x265 preset (nil: medium).
        public var preset: String?
        /// Frame rate of a video made from images ("25", "30000/1001").
        public var imageFrameRate = "25"
        public var progress = true
        /// Continue the chunks an interrupted run left in `OUT.parts` (video to video).
        public var resume = false
        /// The shortest chunk of a video (`ChunkPlan`): a chunk ends at the
        /// first cut this many frames after its start (the last may be shorter).
        public var chunkFrames = 1000
        /// Tests: rank `rank` sends itself `signal` after finishing its `chunks`-th chunk.
        public var killAfterChunks: (rank: Int, chunks: Int, signal: Int32)?
        /// The long side of the picture the network sees, a multiple of 128
        /// (nil: the model's training size).
        public var renderSize: Int?
        /// How a frame becomes that picture (docs/colorize.md §Render size).
        public var fit = RenderFit.pad
        /// Where a line about the input that does not stop the job goes
        /// (ffmpeg's complaints about a damaged input): stderr, as a warning.
        public var warn: @Sendable (String) -> Void = { Logger(label: "colorize").warning("\($0)") }
        public init() {}

        /// The slowest and fastest `--fps`: a frame per 1,000 s keeps a day of
        /// frames' nanoseconds far inside Int64; the fastest is no film's.
        static let imageRateRange = 0.001...1000.0

        /// `imageFrameRate` as frames `num` per `den` seconds ("29.97" is 2997/100,
        /// "2.5/1" is 25/10, "30000/1001" stays so); nil when it is not a rate in
        /// `imageRateRange`. The one parser of `--fps`: `validate` refuses a nil.
        public var imageRate: (num: Int, den: Int)? {
            let parts = imageFrameRate.split(separator: "/", omittingEmptySubsequences: false).map { Double($0) }
            guard (1...2).contains(parts.count), let n = parts[0], let d = parts.count == 2 ? parts[1] : 1,
                  n.isFinite, d.isFinite, n > 0, d > 0, Self.imageRateRange.contains(n / d) else { return nil }
            if n.rounded() == n, d.rounded() == d, n <= 1e9, d <= 1e9 { return (Int(n), Int(d)) }
            let value = n / d
            var den = 1
            while den < 1_000_000, (value * Double(den)).rounded() != value * Double(den) { den *= 10 }
            return (Int((value * Double(den)).rounded()), den)
        }

        /// The encoder's settings for a video output at `timeBase` (`--codec`, `--crf`, `--preset`).
        func video(timeBase: String) -> FrameWriter.VideoOptions {
            var o = FrameWriter.VideoOptions(timeBase: timeBase, codec: codec, crf: crf)
            o.preset = preset
            return o
        }

        /// One-line errors for options no encoder or network call can use, before any work.
        public func validate() throws {
            // The cap keeps a typo from becoming a failed multi-terabyte allocation (a trap, not an error).
            guard (1...1024).contains(batch) else { throw ColorizeOptionError("--batch must be in 1…1024, got \(batch)") }
            if let renderSize {
                do { try ModelConfig.checkFrameSize(renderSize, name: "--render-size") } catch let error as ModelConfigError {
                    throw ColorizeOptionError("\(error)")
                }
                // The pixels of one network call, capped as --batch caps them at 128².
                let squares = batch * (renderSize / 128) * (renderSize / 128)
                guard squares <= 1024 else {
                    throw ColorizeOptionError("--render-size \(renderSize) with --batch \(batch) is \(squares) times a 128² picture a call, more than the 1024 --batch allows at 128; lower --batch")
                }
            }
            guard (0...51).contains(crf) else { throw ColorizeOptionError("--crf must be in 0…51, got \(crf)") }
            guard chunkFrames >= 1 else { throw ColorizeOptionError("--chunk-frames must be at least 1, got \(chunkFrames)") }
            guard imageRate != nil else {
                throw ColorizeOptionError("--fps must be a frame rate above 0 (from 0.001 to 1000 frames a second), such as 25 or 30000/1001; got \(imageFrameRate)")
            }
        }
    }

    public struct Summary: Equatable, Sendable {
        public var frames: Int
        public var cuts: Int
        public var seconds: Double
        public var width: Int
        public var height: Int
        /// Frames the input's container claims when fewer were decoded (a
        /// truncated or damaged file); nil when all came.
        public var missingFrom: Int? = nil
        /// A video in chunks: how many, and how many of them an earlier run had finished (`--resume`).
        public var chunks: Int? = nil
        public var chunksResumed = 0
        public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
    }

    public let model: LoadedModel
    public let options: Options
    /// The processes that share a video's chunks (a `SoloTeam` alone).
    public let team: ColorizeTeam

    public init(model: LoadedModel, options: Options = Options(), team: ColorizeTeam = SoloTeam()) {
        self.model = model
        self.options = options
        self.team = team
    }

    @discardableResult
    public func run(input: String, output: String) throws -> Summary {
        let source = try MediaPath.input(input)
        let target = MediaPath.output(output)
        // Before the input is probed: a standard output redirected onto it has emptied it.
        try OverwriteGuard.check(source: source, target: target)
        let started = Date()

        // The frames, one input file after another.
        var files: [(path: String, info: MediaInfo)] = []
        switch source {
        case let .video(path), let .image(path):
            files = [(path, try MediaInfo.probe(path))]
        case let .imageDirectory(_, images):
            files = try images.map { ($0, try MediaInfo.probe($0)) }
        }
        if case .video = source, files[0].info.width < 1 { throw MediaError("\(input): no frames") }
        var singleFrame = false
        if case .image = source { singleFrame = true }
        if case .image = target, !singleFrame {
            throw MediaError("\(output) is one image but \(input) has many frames; give a directory or a video file")
        }

        if case let .video(path) = target {
            try FrameWriter.checkVideoOutput(path, options: options.video(timeBase: "1/25"))
        }
        if case .video = source, case let .video(path) = target {
            let kept = KeptStreams(of: files[0].info, original: files[0].path, output: path)
            // Refused before any work: an output that silently lacks a stream looks complete and is not.
            if let left = kept.left { throw MediaError(left) }
            try Sink.checkParent(of: path)
            let outcome: ChunkedColorize.Outcome
            do {
                outcome = try ChunkedColorize(model: model, options: options, team: team, input: files[0].path, info: files[0].info,
                                              output: path, kept: kept).run()
            } catch { throw Self.stopFirst(error) }
            let plan = outcome.plan
            var summary = Summary(frames: plan.frames, cuts: plan.cuts.count, seconds: Date().timeIntervalSince(started),
                                  width: files[0].info.width, height: files[0].info.height,
                                  chunks: plan.chunks.count, chunksResumed: outcome.resumed)
            if let claimed = files[0].info.claimedFrames, plan.frames < claimed { summary.missingFrom = claimed }
            return summary
        }
        guard team.size == 1 else {
            throw MediaError("several ranks share only a video colourised into a video; run \(input) → \(output) as one process")
        }
        guard !options.resume else {
            throw MediaError("--resume continues a video colourised into a video; \(input) → \(output) is done frame by frame")
        }
        let sink = try Sink(target: target, source: source, options: options, input: input)
        // The sink holds the output's lock: to the end of the job, however it ends.
        defer { withExtendedLifetime(sink) {} }
        var intoVideo = false
        if case .video = target { intoVideo = true }
        let colorizer = Colorizer(model: model, batch: options.batch, renderSize: options.renderSize, fit: options.fit,
                                  forVideo: intoVideo)
        var estimated: Int? = nil
        if case .video = source { estimated = files[0].info.estimatedFrames } else { estimated = files.count }
        let progress = options.progress ? ProgressLine(label: "colorize", total: estimated) : nil
        var size = (0, 0)
        // Images into a video are frames at --fps.
        let rate = options.imageRate ?? (25, 1)
        let emit: Colorizer.Emit = { frame in
            guard let time = FrameTimestamps.nanoseconds(Int64(frame.index), rate.den, rate.num) else {
                throw MediaError("\(input): frame \(frame.index + 1) at --fps \(options.imageFrameRate) is out of range")
            }
            try sink.write(frame, nanoseconds: time)
            size = (frame.width, frame.height)
            progress?.update(frame.index + 1)
        }
        do {
            for file in files {
                let reader = try FrameReader(.file(file.path), width: file.info.width, height: file.info.height)
                // The reader thread holds the reader: a throw below must stop it and ffmpeg
                // (after a normal finish this does nothing).
                defer { reader.cancel() }
                var count = 0
                while let frame = reader.next() {
                    // A stop signal (StopSignal) ends the job between frames; the catch below removes the temporary.
                    if let signal = StopSignal.received { throw StoppedBySignal(signal) }
                    try colorizer.push(rgb: frame, width: reader.width, height: reader.height, emit: emit)
                    count += 1
                }
                if let signal = StopSignal.received { throw StoppedBySignal(signal) }
                try reader.finishOrThrow()
                if let complaints = reader.complaintSummary() { options.warn(complaints) }
                if case .video = source {} else if count != 1 {
                    throw MediaError("\(file.path): expected one image, decoded \(count) frames")
                }
            }
            try colorizer.finish(emit: emit)
            guard colorizer.framesOut > 0 else { throw MediaError("\(input): no frames decoded") }
            try sink.finish()
        } catch {
            sink.cancel()
            throw Self.stopFirst(error)
        }
        progress?.finish(colorizer.framesOut)
        var summary = Summary(frames: colorizer.framesOut, cuts: colorizer.cuts,
                              seconds: Date().timeIntervalSince(started), width: size.0, height: size.1)
        if case .video = source, let claimed = files[0].info.claimedFrames, colorizer.framesOut < claimed {
            summary.missingFrom = claimed
        }
        return summary
    }

    /// Where a video colourised into a video keeps its finished chunks until
    /// they are joined (`ChunkFolder`): what a stopped run tells the user is kept.
    public static func workFolder(for output: String) -> String { ChunkFolder(output: output).path }

    /// An error while a stop signal is pending, reported as the signal:
    /// Ctrl-C reaches ffmpeg too, whose failure would otherwise be reported instead.
    static func stopFirst(_ error: Error) -> Error {
        StopSignal.received.map { StoppedBySignal($0) } ?? error
    }

    /// Where colourised frames go. It holds the output's one-writer lock
    /// (`DirectoryLock.beside`) for as long as it lives, and removes what
    /// writers of the same output that died on the spot left (`OutputTemporaries`):
    /// with the lock held, nobody else is writing that output.
    final class Sink {
        let target: MediaPath
        let source: MediaPath
        let options: Options
        let input: String
        private let lock: DirectoryLock
        private var video: FrameWriter?
        /// A folder of frames from a video or a folder of images.
        private var folder: FrameFolder?

        init(target: MediaPath, source: MediaPath, options: Options, input: String) throws {
            var target = target
            if case let .imageDirectory(path, _) = target, case let .image(image) = source {
                // One image into a folder is one more file there, not a new folder.
                try MediaPath.createDirectory(path, for: "output directory")
                target = .image((path as NSString).appendingPathComponent(Sink.frameName(image)))
            }
            self.target = target
            self.source = source
            self.options = options
            self.input = input
            let output: String
            switch target {
            case let .video(path), let .image(path):
                output = path
                try Self.checkParent(of: path)
            case let .imageDirectory(path, _):
                // A symbolic link to a folder: the folder it names is replaced, not the link.
                output = (path as NSString).resolvingSymlinksInPath
                let parent = (output as NSString).deletingLastPathComponent
                if !parent.isEmpty, let why = Directories.make(parent) {
                    throw MediaError("\(path): cannot create the output directory (\(why))")
                }
            }
            lock = try DirectoryLock.beside(output, for: "colorize")
            OutputTemporaries.removeAbandoned(of: output)
            if case .imageDirectory = target { folder = try FrameFolder(output) }
        }

        /// Throws unless the folder a file output goes into exists.
        static func checkParent(of path: String) throws {
            let parent = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard parent.isEmpty || (FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) && isDirectory.boolValue) else {
                throw MediaError("\(path): cannot write the output (\(parent) is not a directory)")
            }
        }

        /// The PNG name of an image in a folder output: the image's own name.
        static func frameName(_ image: String) -> String {
            ((image as NSString).lastPathComponent as NSString).deletingPathExtension + ".png"
        }

        /// Writes `frame`; into a video at `nanoseconds`.
        func write(_ frame: Colorizer.Frame, nanoseconds: Int64) throws {
            switch target {
            case let .video(path):
                if video == nil {
                    let rate = options.imageRate ?? (25, 1)
                    video = try FrameWriter(video: path, width: frame.width, height: frame.height,
                                            options: options.video(timeBase: "\(rate.den)/\(rate.num)"))
                }
                guard let video, video.width == frame.width, video.height == frame.height else {
                    throw MediaError("frame \(frame.index) is \(frame.width)×\(frame.height) but the video is "
                                     + "\(video?.width ?? 0)×\(video?.height ?? 0); a video needs images of one size")
                }
                try video.write(frame.pixels, nanoseconds: nanoseconds)
            case let .image(path):
                try writeImage(frame, to: path)
            case .imageDirectory:
                let name: String
                if case let .imageDirectory(_, images) = source {
                    name = Sink.frameName(images[frame.index])
                } else {
                    name = String(format: "frame-%06d.png", frame.index + 1)
                }
                do { try writeImage(frame, to: folder!.file(name)) } catch let error as MediaError {
                    // Named as the user will look for it, not by the hidden folder it is written in.
                    throw MediaError(path: (folder!.path as NSString).appendingPathComponent(name), reason: error.reason)
                }
            }
        }

        private func writeImage(_ frame: Colorizer.Frame, to path: String) throws {
            let writer = try FrameWriter(image: path, width: frame.width, height: frame.height)
            try writer.write(frame.rgb)
            try writer.finish()
        }

        func finish() throws {
            try video?.finish()
            try folder?.commit()
        }

        func cancel() {
            video?.cancel()
            folder?.discard()
        }
    }
}

/// A colorize option out of range; one line.
public struct ColorizeOptionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
