import Foundation
import Storage
import Glibc
import HDF5Kit

/// The single thread that owns the HDF5 files of a prep run (libhdf5 is not
/// thread-safe, and one writer also keeps files consistent).
///
/// Shards (docs/format.md §Shards) are written as `shard-NNNNN.h5.partial` and renamed to
/// `shard-NNNNN.h5` only when complete, then `index.json` is rewritten listing
/// it; so a file without `.partial` is always whole, and the index never lists
/// anything that is not. Sequences stream in (several at once, one per worker):
/// a shard takes new sequences until it reaches the size limit, then finishes the
/// sequences it holds and is closed. Frames arrive deflate-compressed and are
/// stored as chunks directly (`H5Dwrite_chunk`), so compression runs in the workers.
final class ShardWriter {
    final class OpenShard {
        let number: Int
        let file: HDF5File
        let sequencesGroup: HDF5Group
        var accepting = true
        var open: Set<String> = []
        var records: [DatasetIndex.Sequence] = []
        var inputs: Set<Int> = []
        var fileName: String { String(format: "shard-%05d.h5", number) }

        init(number: Int, file: HDF5File, sequencesGroup: HDF5Group) {
            self.number = number
            self.file = file
            self.sequencesGroup = sequencesGroup
        }
    }

    struct OpenSequence {
        let shard: OpenShard
        let dataset: HDF5Dataset
        var frames: Int
        let meta: SequenceMeta
    }

    let directory: String
    let size: Int
    let shardLimit: Int
    let deflateLevel: Int
    private(set) var index: DatasetIndex
    private var current: OpenShard?
    private var shards: [Int: OpenShard] = [:]
    private var sequences: [String: OpenSequence] = [:]
    private var nextShard: Int
    /// Inputs fully decoded, waiting for the shards holding their sequences to finish.
    private var waiting: [Int: (report: InputReport, shards: Set<Int>)] = [:]
    let stats: PrepStats
    /// Test hook: die (SIGKILL) after writing this many frames, to test resuming.
    private let killAfterFrames: Int?
    private var framesWritten = 0
    private var lastIndexWrite = Date.distantPast

    init(directory: String, size: Int, shardLimit: Int, deflateLevel: Int, index: DatasetIndex, stats: PrepStats) {
        self.directory = directory
        self.size = size
        self.shardLimit = shardLimit
        self.deflateLevel = deflateLevel
        self.index = index
        self.stats = stats
        nextShard = (index.shards.compactMap { Int($0.file.dropFirst(6).prefix(5)) }.max() ?? -1) + 1
        killAfterFrames = ProcessInfo.processInfo.environment["VCOLOR_PREP_TEST_KILL_AFTER_FRAMES"].flatMap { Int($0) }
    }

    /// Consumes messages until every worker has exited. Returns the first error
    /// (after which it keeps draining so no worker blocks), if any.
    func run(queue: BlockingQueue<WriterMessage>, workers: Int, onError: () -> Void) -> Error? {
        var exited = 0
        var failure: Error?
        while exited < workers {
            let message = queue.take()
            if case .workerExit = message { exited += 1; continue }
            guard failure == nil else { continue }
            do {
                try handle(message)
            } catch {
                failure = error
                onError()
            }
        }
        return failure
    }

    private func handle(_ message: WriterMessage) throws {
        switch message {
        case .frames(let meta, let frames, let isFirst, let isLast):
            if isFirst { try begin(meta) }
            try write(meta.id, frames)
            if isLast { try end(meta.id) }
        case .inputDone(let report):
            let open = Set(shards.values.filter { $0.inputs.contains(report.ordinal) }.map(\.number))
            waiting[report.ordinal] = (report, open)
            // An input with nothing left in an open shard is recorded now, but
            // the index (which lists every source: tens of thousands with
            // stills) is rewritten at most once a second for it; an input lost
            // to an interruption is simply done again.
            if open.isEmpty {
                try completeInputs()
                if lastIndexWrite.timeIntervalSinceNow < -1 { try writeIndex() }
            }
        case .inputSkipped(_, let skipped):
            index.skipped.append(skipped)
        case .workerExit:
            break
        }
    }

    private func begin(_ meta: SequenceMeta) throws {
        let shard = try currentShard()
        let group = try shard.sequencesGroup.createGroup(meta.id)
        defer { group.close() }
        let dataset = try group.createDataset(
            "lab", of: UInt8.self, shape: [0, 3, size, size], maxShape: [nil, 3, size, size],
            chunk: [1, 3, size, size], deflate: deflateLevel)
        let record = meta.record
        try dataset.setAttribute("source", record.source)
        try dataset.setAttribute("source_path", record.sourcePath)
        try dataset.setAttribute("fps", record.fps)
        try dataset.setAttribute("first_frame", record.firstFrame)
        try dataset.setAttribute("split", record.split)
        shard.open.insert(meta.id)
        shard.inputs.insert(meta.inputOrdinal)
        sequences[meta.id] = OpenSequence(shard: shard, dataset: dataset, frames: 0, meta: meta)
    }

    private func write(_ id: String, _ frames: CompressedFrames) throws {
        guard var sequence = sequences[id] else { throw PrepError("internal: frames for unknown sequence \(id)") }
        try sequence.dataset.setExtent([sequence.frames + frames.count, 3, size, size])
        for i in 0..<frames.count {
            try frames.frame(i).withUnsafeBytes { bytes in
                try sequence.dataset.writeChunk(bytes, offset: [sequence.frames + i, 0, 0, 0])
            }
        }
        sequence.frames += frames.count
        sequences[id] = sequence
        stats.addWritten(frames: frames.count, bytes: frames.bytes.count)
        // A full shard takes no new sequences; it closes when its open ones end.
        let shard = sequence.shard
        if shard.accepting, try shard.file.size() >= shardLimit {
            shard.accepting = false
            if current === shard { current = nil }
        }
        framesWritten += frames.count
        if let killAfterFrames, framesWritten >= killAfterFrames { kill(getpid(), SIGKILL) }
    }

    private func end(_ id: String) throws {
        guard let sequence = sequences.removeValue(forKey: id) else { throw PrepError("internal: end of unknown sequence \(id)") }
        let shard = sequence.shard
        sequence.dataset.close()
        var record = sequence.meta.record
        (record.shard, record.frames) = (shard.fileName, sequence.frames)
        shard.records.append(record)
        shard.open.remove(id)
        if !shard.accepting && shard.open.isEmpty { try finish(shard) }
    }

    private func currentShard() throws -> OpenShard {
        if let current, current.accepting { return current }
        let number = nextShard
        nextShard += 1
        let name = String(format: "shard-%05d.h5", number)
        let file = try HDF5File.create(partialPath(name))
        try file.root.setAttribute("format", DataPrep.shardFormat)
        try file.root.setAttribute("version", DataPrep.shardVersion)
        try file.root.setAttribute("height", size)
        try file.root.setAttribute("width", size)
        try file.root.setAttribute("encoding", DataPrep.encoding)
        let group = try file.root.createGroup("sequences")
        let shard = OpenShard(number: number, file: file, sequencesGroup: group)
        shards[number] = shard
        current = shard
        return shard
    }

    private func partialPath(_ name: String) -> String { (directory as NSString).appendingPathComponent(name + ".partial") }

    /// Closes a shard whose sequences are all complete, renames it into place and
    /// records it in the index.
    private func finish(_ shard: OpenShard) throws {
        if current === shard { current = nil }
        shards.removeValue(forKey: shard.number)
        let name = shard.fileName
        try shard.file.root.setAttribute("sequence_count", shard.records.count)
        shard.sequencesGroup.close()
        try shard.file.close()
        let partial = partialPath(name), final = (directory as NSString).appendingPathComponent(name)
        do {
            try AtomicFile.commit(partial, to: final)
        } catch let error as StorageError {
            throw PrepError(error.description)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: final)[.size] as? Int) ?? 0
        index.shards.append(DatasetIndex.Shard(file: name, bytes: bytes, sequences: shard.records.map(\.id).sorted()))
        index.sequences += shard.records
        stats.addShard(bytes: bytes)
        for (ordinal, entry) in waiting where entry.shards.contains(shard.number) {
            waiting[ordinal]!.shards.remove(shard.number)
        }
        try completeInputs()
        try writeIndex()
    }

    /// Moves inputs whose sequences are all in finished shards into the index.
    private func completeInputs() throws {
        let done = waiting.filter { $0.value.shards.isEmpty }
        guard !done.isEmpty else { return }
        let paths = Set(done.values.map(\.report.source.path))
        index.sources.removeAll { paths.contains($0.path) }
        for (ordinal, entry) in done {
            index.sources.append(entry.report.source)
            waiting.removeValue(forKey: ordinal)
        }
    }

    /// Writes the index in its order (sources by path, sequences by id, shards by name).
    private func writeIndex() throws {
        index.sources.sort { $0.path < $1.path }
        index.sequences.sort { $0.id < $1.id }
        index.shards.sort { $0.file < $1.file }
        try index.write(to: directory)
        lastIndexWrite = Date()
    }

    /// Ends the run: finishes every shard whose sequences are complete; a shard
    /// still holding an unfinished sequence (an aborted input) is deleted. Writes
    /// the index, complete only if nothing was aborted.
    func close(complete: Bool, skipped: [SkippedInput]) throws {
        index.skipped += skipped
        var aborted = false
        for shard in shards.values.sorted(by: { $0.number < $1.number }) {
            if shard.open.isEmpty {
                try finish(shard)
            } else {
                aborted = true
                try? shard.file.close()
                try? FileManager.default.removeItem(atPath: partialPath(shard.fileName))
                shards.removeValue(forKey: shard.number)
            }
        }
        sequences.removeAll()
        try completeInputs()
        index.skipped.sort { $0.path < $1.path }
        index.complete = complete && !aborted && waiting.isEmpty
        try writeIndex()
    }
}
