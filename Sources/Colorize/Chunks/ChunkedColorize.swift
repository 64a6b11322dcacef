import Console
import Foundation
import Media
import ModelFiles
import Net
import Storage

/// A video colourised into a video in chunks (`ChunkPlan`), by one process
/// or a team of ranks (`ColorizeTeam`), resumable (`ChunkFolder`):
///
/// 1. Rank 0 takes the output's lock, then, with `--resume`, reads the plan
///    an earlier run left, after checking it was made for the same input,
///    model and options. Otherwise the plan is made by one decoding pass over
///    the film (`ShotScan`): alone, rank 0 makes it before the first barrier;
///    in a team every rank scans a stretch of the film, and rank 0 puts the
///    stretches together into the same plan (`ShotScan+Stretches`) between
///    two more barriers. Then every rank reads the plan.
/// 2. Every rank colourises chunks not finished yet, the next one no rank
///    has claimed whenever it is free (`ChunkPlan.claimOrder`,
///    `ChunkFolder.claim`), each chunk decoded from its first frame (a seek
///    half a second before it, the frames before it dropped by timestamp),
///    with the plan's cuts, and encoded into its own file in the output's
///    container and codec.
/// 3. After a barrier, rank 0 joins the chunks without re-encoding and with
///    the original's other streams (`ChunkJoin`), then removes the work folder.
struct ChunkedColorize {
    let model: LoadedModel
    let options: ColorizeJob.Options
    let team: ColorizeTeam
    let input: String
    let info: MediaInfo
    let output: String
    let kept: KeptStreams?

    struct Outcome {
        var plan: ChunkPlan
        /// Chunks colourised by this run (all ranks), and chunks an earlier run had finished.
        var colourised: Int
        var resumed: Int
    }

    func run() throws -> Outcome {
        let folder = ChunkFolder(output: output)
        var lock: DirectoryLock?
        defer { withExtendedLifetime(lock) {} }
        if team.rank == 0 {
            lock = try DirectoryLock.beside(output, for: "colorize")
            OutputTemporaries.removeAbandoned(of: output)
            try prepare(folder)
        }
        try team.barrier()
        var manifest = try folder.readManifest()
        if manifest == nil, let stretches = ShotScan.stretches(of: info, ranks: team.size) {
            try scanTogether(stretches, folder)
            manifest = try folder.readManifest()
        }
        guard let plan = manifest?.plan else {
            throw MediaError(path: folder.path, reason: "the plan rank 0 wrote is not there (is the folder on a file system every rank shares?)")
        }
        let finished = folder.finished(plan)
        let pending = plan.chunks.indices.filter { !finished.contains($0) }
        if team.rank == 0, !finished.isEmpty {
            Logger(label: "colorize").notice("resuming: \(finished.count) of \(plan.chunks.count) chunks were finished by an earlier run; colourising the other \(pending.count)")
        }
        let progress = TeamProgress(folder: folder, rank: team.rank, ranks: team.size,
                                    line: team.rank == 0 && options.progress
                                        ? ProgressLine(label: "colorize", total: pending.reduce(0) { $0 + plan.chunks[$1].count }) : nil)
        var done = 0
        for k in plan.claimOrder(pending) {
            guard try folder.claim(k) else { continue }
            try colourise(k, of: plan, into: folder, progress: progress)
            done += 1
            if let fault = options.killAfterChunks, fault.rank == team.rank, fault.chunks == done { kill(getpid(), fault.signal) }
        }
        progress.flush()
        try team.barrier()
        if team.rank == 0 {
            progress.finish()
            try join(plan, folder)
            folder.remove()
        }
        return Outcome(plan: plan, colourised: pending.count, resumed: finished.count)
    }

    /// What makes a resumed run the same job: the input file as it is now,
    /// the network's weights, and every option that changes the output.
    private var identity: ChunkFolder.Identity {
        let absolute = input.hasPrefix("/") ? input : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(input)
        var st = stat()
        _ = stat(input, &st)
        let parameters = model.generator.parameters
        let weights = [TensorChecksum.of(UnsafeBufferPointer(parameters.values)),
                       TensorChecksum.of(UnsafeBufferPointer(parameters.bufferValues))]
        return ChunkFolder.Identity(
            input: (absolute as NSString).standardizingPath, inputBytes: Int64(st.st_size),
            inputModified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9,
            model: "\(model.config.size)/\(model.config.baseWidth)/\(model.config.temporal)/"
                + weights.map { String($0, radix: 16) }.joined(separator: "-"),
            options: ["batch": "\(options.batch)", "crf": "\(options.crf)", "codec": options.codec,
                      "preset": options.preset ?? "medium", "chunk-frames": "\(options.chunkFrames)",
                      "render-size": "\(options.renderSize ?? model.config.size)", "render-fit": options.fit.rawValue,
                      "bn-statistics": model.generator.evaluationStatistics.rawValue])
    }

    /// Rank 0: the plan of an earlier run of the same job (`--resume`), or a
    /// new one; or, for a team that scans in stretches, an empty work folder.
    private func prepare(_ folder: ChunkFolder) throws {
        let identity = self.identity
        if let earlier = try folder.readManifest(), options.resume || !folder.finished(earlier.plan).isEmpty {
            let done = folder.finished(earlier.plan).count
            guard options.resume else {
                throw MediaError("\(folder.path) holds an interrupted colorize (\(done) of \(earlier.plan.chunks.count) chunks finished):"
                                 + " add --resume to continue it, or remove \(folder.path) to start over")
            }
            if let what = identity.difference(from: earlier.identity) {
                throw MediaError("--resume: \(folder.path) belongs to a colorize with another \(what);"
                                 + " give the same command, or remove \(folder.path) to start over")
            }
            folder.removeLeftovers()
            return
        }
        // No plan, or a plan without a finished chunk (nothing to lose): start over.
        if folder.exists {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { !$0.hasPrefix(".") && $0 != ChunkFolder.planName }
            guard names.isEmpty else {
                throw MediaError("\(folder.path) is in the way of colorize's work directory (it holds \(names.sorted()[0])); move it or give another --out")
            }
            folder.removeLeftovers()
        } else if options.resume {
            Logger(label: "colorize").notice("--resume: \(folder.path) does not exist, so nothing was finished; starting from the beginning")
        }
        if ShotScan.stretches(of: info, ranks: team.size) != nil {
            // No plan in the folder tells every rank to scan its stretch.
            if let why = Directories.make(folder.path) { throw MediaError(path: folder.path, reason: "cannot create the work directory (\(why))") }
            try? FileManager.default.removeItem(atPath: folder.planPath)
            return
        }
        if team.size > 1 { Logger(label: "colorize").debug("\(input) states no duration to divide: rank 0 finds the cuts alone") }
        try writePlan(try scanAlone(), folder)
    }

    private var scanLine: ProgressLine? {
        options.progress ? ProgressLine(label: "colorize: finding cuts", total: info.estimatedFrames) : nil
    }

    /// The plan from one pass over the whole film.
    private func scanAlone() throws -> ChunkPlan {
        let line = scanLine
        let plan = try ShotScan.plan(of: input, info: info, modelSize: model.config.size,
                                     chunkFrames: options.chunkFrames, progress: line, warn: options.warn)
        line?.finish(plan.frames)
        return plan
    }

    private func writePlan(_ plan: ChunkPlan, _ folder: ChunkFolder) throws {
        guard plan.frames > 0 else { throw MediaError("\(input): no frames decoded") }
        try folder.write(ChunkFolder.Manifest(identity: identity, plan: plan))
    }

    /// Every rank: scans its stretch into the work folder; rank 0 then puts
    /// the parts together and writes the plan, or, when they do not fit,
    /// scans the whole film itself (said at debug level). Two barriers.
    private func scanTogether(_ stretches: [ShotScan.Stretch], _ folder: ChunkFolder) throws {
        let line = team.rank == 0 ? scanLine : nil
        let progress = TeamProgress(folder: folder, rank: team.rank, ranks: team.size, line: line)
        let part = try ShotScan.part(of: input, info: info, modelSize: model.config.size, stretch: stretches[team.rank],
                                     progress: progress.add)
        progress.flush()
        try folder.writeScan(part, rank: team.rank)
        try team.barrier()
        if team.rank == 0 {
            let parts = try (0..<team.size).map { try folder.readScan(rank: $0) }
            var plan: ChunkPlan
            switch ShotScan.merge(parts, chunkFrames: options.chunkFrames) {
            case .success(let merged):
                plan = merged
                line?.finish(plan.frames)
                if let complaints = ShotScan.complaintSummary(parts, decoding: input) { options.warn(complaints) }
            case .failure(let failure):
                line?.finish(parts.reduce(0) { $0 + $1.frames })
                Logger(label: "colorize").debug("\(input): the stretches' cuts cannot be put together exactly (\(failure.reason)); rank 0 finds the cuts alone")
                plan = try scanAlone()
            }
            // The parts and the scan's progress counts go before the chunks' counts start.
            folder.removeLeftovers()
            try writePlan(plan, folder)
        }
        try team.barrier()
    }

    /// Colourises chunk `k` into its file in `folder`, decoding from half a
    /// second before its first frame (ffmpeg's -ss counts from the container's
    /// start in microseconds; the frames before the chunk are dropped here by
    /// their times). Where seeking misses the frame (a transport stream with
    /// no key frame after the point sought: ffmpeg then finds nothing), the
    /// chunk is decoded from the film's start instead.
    private func colourise(_ k: Int, of plan: ChunkPlan, into folder: ChunkFolder, progress: TeamProgress) throws {
        let chunk = plan.chunks[k]
        guard chunk.first > 0 else { return try colourise(k, of: plan, into: folder, progress: progress, seek: nil) }
        let seek = max(0, Double(chunk.startNanoseconds - info.startMicroseconds * 1000) / 1e9 - 0.5)
        do { try colourise(k, of: plan, into: folder, progress: progress, seek: seek) } catch is SeekMissed {
            Logger(label: "colorize").info("\(input): seeking to frame \(chunk.first + 1) missed it; chunk \(k + 1) is decoded from the start")
            try colourise(k, of: plan, into: folder, progress: progress, seek: nil)
        }
    }

    /// Seeking gave no frame, or a first frame after the chunk's first.
    private struct SeekMissed: Error {}

    private func colourise(_ k: Int, of plan: ChunkPlan, into folder: ChunkFolder, progress: TeamProgress, seek: Double?) throws {
        let chunk = plan.chunks[k]
        let reader = try FrameReader(.file(input), width: info.width, height: info.height, timestamps: true, seek: seek)
        defer { reader.cancel() }
        var o = options.video(timeBase: info.timeBase)
        o.sampleAspectRatio = info.sampleAspectRatio
        let writer = try FrameWriter(video: folder.chunkPath(k), width: info.width, height: info.height, options: o)
        let colorizer = Colorizer(model: model, batch: options.batch, renderSize: options.renderSize, fit: options.fit,
                                  shotStarts: plan.cuts(in: chunk), first: chunk.first, forVideo: true)
        var times: [Int64] = []
        times.reserveCapacity(chunk.count)
        let emit: Colorizer.Emit = { frame in
            try writer.write(frame.pixels, nanoseconds: times[frame.index - chunk.first])
            progress.add(1)
        }
        do {
            var decoded = 0
            while times.count < chunk.count, let frame = reader.next() {
                if let signal = StopSignal.received { throw StoppedBySignal(signal) }
                guard let ns = try reader.timestamps!.nanoseconds(of: decoded) else {
                    throw MediaError(path: input, reason: "ffmpeg gave no timestamp for a frame of chunk \(k + 1)")
                }
                decoded += 1
                if ns < chunk.startNanoseconds { continue }
                if times.isEmpty, ns != chunk.startNanoseconds {
                    if seek != nil { throw SeekMissed() }
                    throw MediaError(path: input, reason: "frame \(chunk.first + 1) is at \(ns) ns, not at \(chunk.startNanoseconds) ns as when the plan was made (the file changed?)")
                }
                times.append(ns)
                try colorizer.push(rgb: frame, width: reader.width, height: reader.height, emit: emit)
            }
            if let signal = StopSignal.received { throw StoppedBySignal(signal) }
            if times.isEmpty, seek != nil { throw SeekMissed() }
            guard times.count == chunk.count else {
                throw MediaError(path: input, reason: "chunk \(k + 1) decoded \(times.count) of its \(chunk.count) frames from frame \(chunk.first + 1)"
                                 + " (the file changed since the plan was made?)")
            }
            try colorizer.finish(emit: emit)
            try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
    }

    /// Rank 0: the finished chunks joined into the output.
    private func join(_ plan: ChunkPlan, _ folder: ChunkFolder) throws {
        let parts = plan.chunks.indices.map { k in
            ChunkJoin.Part(path: (folder.chunkPath(k) as NSString).lastPathComponent,
                           duration: k + 1 < plan.chunks.count ? plan.chunks[k + 1].startNanoseconds - plan.chunks[k].startNanoseconds : nil)
        }
        try ChunkJoin.join(parts, startNanoseconds: plan.chunks[0].startNanoseconds,
                           list: (folder.path as NSString).appendingPathComponent("join.ffconcat"),
                           streamsFrom: kept.map { (input, $0) }, output: output)
    }
}

/// Frames done by the whole team, on rank 0's progress line: each other rank
/// writes its count into the work folder at most twice a second, and rank 0
/// adds them to its own when it updates the line.
final class TeamProgress {
    private let folder: ChunkFolder
    private let rank: Int, ranks: Int
    private let line: ProgressLine?
    private var mine = 0
    private var last = Date.distantPast

    init(folder: ChunkFolder, rank: Int, ranks: Int, line: ProgressLine?) {
        (self.folder, self.rank, self.ranks, self.line) = (folder, rank, ranks, line)
    }

    func add(_ frames: Int) {
        mine += frames
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.5 else { return }
        last = now
        flush()
    }

    /// Publishes this rank's count now.
    func flush() {
        if rank == 0 {
            line?.update(mine + folder.progressOfOthers(than: rank, ranks: ranks))
        } else {
            folder.writeProgress(rank: rank, frames: mine)
        }
    }

    /// Rank 0, after the last barrier: the final count of the whole team.
    func finish() { line?.finish(mine + folder.progressOfOthers(than: rank, ranks: ranks)) }
}
