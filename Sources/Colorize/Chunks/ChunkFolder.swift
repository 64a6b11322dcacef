import Foundation
import Media
import Storage

/// The work directory of a chunked colorize, `OUT.parts` beside the output:
/// the plan with what it was made for (`plan.json`), every finished chunk
/// (`chunk-000012.EXT`, the output's own container), each rank's count of
/// frames done (`.progress-R`, for rank 0's progress line), the claims on
/// chunks (`.claim-000012`, `claim`), and while a team makes the plan, each
/// rank's part of it (`.scan-R.json`). A chunk is
/// written under a hidden temporary name and renamed when complete (fsync,
/// rename, fsync of the folder: `FrameWriter`), so a chunk file that exists is
/// a whole chunk, whatever stopped the run. Removed when the output is in place.
struct ChunkFolder {
    let path: String
    let ext: String

    static let planName = "plan.json"

    init(output: String) {
        path = output + ".parts"
        ext = MediaPath.pathExtension(output)
    }

    /// What the plan was made for: a resumed run must be the same job.
    struct Identity: Codable, Equatable {
        var input: String
        var inputBytes: Int64
        var inputModified: Double
        var model: String
        var options: [String: String]

        /// The first thing that differs from `other`, in words.
        func difference(from other: Identity) -> String? {
            if input != other.input || inputBytes != other.inputBytes || inputModified != other.inputModified { return "the input" }
            if model != other.model { return "the model" }
            if let key = options.keys.sorted().first(where: { options[$0] != other.options[$0] }) {
                return "--\(key) (\(other.options[key] ?? "none") then, \(options[key] ?? "none") now)"
            }
            return nil
        }
    }

    struct Manifest: Codable {
        var version = 1
        var identity: Identity
        var plan: ChunkPlan
    }

    var planPath: String { (path as NSString).appendingPathComponent(Self.planName) }

    func chunkPath(_ k: Int) -> String {
        (path as NSString).appendingPathComponent(String(format: "chunk-%06d.", k) + ext)
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The manifest of an earlier run, or nil when there is none.
    func readManifest() throws -> Manifest? {
        guard let data = FileManager.default.contents(atPath: planPath) else { return nil }
        do { return try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw MediaError(path: planPath, reason: "not a colorize plan (\(error)); remove \(path) to start over")
        }
    }

    /// Creates the folder (if need be) and writes `manifest` into it, atomically.
    func write(_ manifest: Manifest) throws {
        if let why = Directories.make(path) { throw MediaError(path: path, reason: "cannot create the work directory (\(why))") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { try AtomicFile.write(try encoder.encode(manifest), to: planPath) } catch {
            throw MediaError("\(error)")
        }
    }

    /// The chunks whose file is complete.
    func finished(_ plan: ChunkPlan) -> Set<Int> {
        Set(plan.chunks.indices.filter { FileManager.default.fileExists(atPath: chunkPath($0)) })
    }

    /// Removes hidden leftovers (chunks half written by a run that died,
    /// progress counts). Only while no rank of this job writes here.
    func removeLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".") {
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name))
        }
    }

    /// Removes the folder and all in it (the job is done).
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    private func claimPath(_ k: Int) -> String { (path as NSString).appendingPathComponent(String(format: ".claim-%06d", k)) }

    /// Claims chunk `k` for the calling rank: true when no rank of this run
    /// has (an exclusive create, atomic on NFS too). Claims are hidden
    /// leftovers, so a resumed run removes them and claims anew.
    func claim(_ k: Int) throws -> Bool {
        let fd = open(claimPath(k), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 {
            close(fd)
            return true
        }
        if errno == EEXIST { return false }
        throw MediaError(path: path, reason: "cannot claim chunk \(k + 1) (\(SystemError.words(errno)))")
    }

    // MARK: - The plan's pass in stretches

    private func scanPath(_ rank: Int) -> String { (path as NSString).appendingPathComponent(".scan-\(rank).json") }

    /// Writes `rank`'s part of the plan's pass, atomically, for rank 0.
    func writeScan(_ part: ShotScan.Part, rank: Int) throws {
        do { try AtomicFile.write(try JSONEncoder().encode(part), to: scanPath(rank)) } catch {
            throw MediaError(path: path, reason: "cannot write rank \(rank)'s part of the plan (\(error)); is the folder on a file system every rank shares?")
        }
    }

    /// `rank`'s part of the plan's pass.
    func readScan(rank: Int) throws -> ShotScan.Part {
        guard let data = FileManager.default.contents(atPath: scanPath(rank)) else {
            throw MediaError(path: path, reason: "rank \(rank)'s part of the plan is not there (is the folder on a file system every rank shares?)")
        }
        do { return try JSONDecoder().decode(ShotScan.Part.self, from: data) } catch {
            throw MediaError(path: scanPath(rank), reason: "not a part of a colorize plan (\(error))")
        }
    }

    // MARK: - Progress of the ranks

    private func progressPath(_ rank: Int) -> String { (path as NSString).appendingPathComponent(".progress-\(rank)") }

    /// Records that `rank` has colourised `frames` frames in this run (a
    /// fixed-width number rewritten in place: a reader sees an old or a new count).
    func writeProgress(rank: Int, frames: Int) {
        let fd = open(progressPath(rank), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let text = String(format: "%20d\n", frames)
        _ = text.withCString { pwrite(fd, $0, 21, 0) }
        close(fd)
    }

    /// Frames colourised in this run by the ranks other than `rank`.
    func progressOfOthers(than rank: Int, ranks: Int) -> Int {
        (0..<ranks).filter { $0 != rank }.reduce(0) { sum, r in
            let text = (try? String(contentsOfFile: progressPath(r), encoding: .utf8)) ?? ""
            return sum + (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
        }
    }
}
