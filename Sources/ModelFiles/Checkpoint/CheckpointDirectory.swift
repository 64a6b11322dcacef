import Foundation
import Storage

/// `RUN/checkpoints/`: names, the newest complete checkpoint, pruning.
///
/// Final names are `step-NNNNNNNN.h5` (eight digits, so name order is step
/// order up to 10⁸ steps); a checkpoint in progress is `.step-…h5.tmp-<pid>`,
/// which no lookup ever matches.
public struct CheckpointDirectory {
    public let path: String
    static let temporaryPrefix = "."

    public init(path: String) {
        self.path = path
    }

    /// `RUN/checkpoints` of a run directory.
    public init(run: String) {
        self.path = (run as NSString).appendingPathComponent("checkpoints")
    }

    public static func fileName(step: Int) -> String {
        "step-" + String(format: "%08d", step) + ".h5"
    }

    public func path(step: Int) -> String {
        (path as NSString).appendingPathComponent(Self.fileName(step: step))
    }

    /// The step of a final checkpoint name, or nil for anything else.
    public static func step(ofFileName name: String) -> Int? {
        guard name.hasPrefix("step-"), name.hasSuffix(".h5") else { return nil }
        let digits = name.dropFirst(5).dropLast(3)
        guard digits.count >= 8, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Final checkpoint files, oldest first, as (step, path).
    public func checkpoints() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name in
            Self.step(ofFileName: name).map { ($0, (path as NSString).appendingPathComponent(name)) }
        }
        .sorted { $0.step < $1.step }
    }

    /// The newest checkpoint whose header reads, with its training state, left
    /// open for `ModelFile.restore`, and the reasons the newer ones were
    /// skipped (unreadable, truncated, not a checkpoint, weights only). Nil
    /// when there is none. Temporaries are never considered.
    public func newestComplete() -> Newest? {
        (try? newestIntact { _ in }) ?? nil
    }

    /// The newest checkpoint a run can resume from (`train --resume`): each
    /// final checkpoint in turn, newest first, is opened, its header read (the
    /// unreadable, truncated, not-a-checkpoint and weights-only ones are
    /// skipped), and handed to `restore`, which loads the run from it. A
    /// `ModelFileError` from `restore` means the file is damaged (a tensor that
    /// fails its checksum, a NaN) and the next older one is tried; any other
    /// error (the run's options do not fit the file) ends the search.
    /// - Returns: the checkpoint restored from, open, with the reasons the newer
    ///   ones were skipped; nil when the directory holds no checkpoint at all.
    /// - Throws: a `ModelFileError` naming the newest file and why, when none is intact.
    public func newestIntact(restoring restore: (Newest) throws -> Void) throws -> Newest? {
        var skipped: [String] = [], skippedPaths: [String] = []
        for candidate in checkpoints().reversed() {
            let file: ModelFile
            do { file = try ModelFile.open(candidate.path, as: .checkpoint) } catch {
                skipped.append(String(describing: error))
                skippedPaths.append(candidate.path)
                continue
            }
            guard let state = file.training else {
                file.close()
                skipped.append("\(candidate.path): holds weights only (no /optimizer group)")
                skippedPaths.append(candidate.path)
                continue
            }
            let newest = Newest(step: candidate.step, file: file, state: state, skipped: skipped, skippedPaths: skippedPaths)
            do {
                try restore(newest)
                return newest
            } catch let damage as ModelFileError {
                file.close()
                skipped.append(damage.description)
                skippedPaths.append(candidate.path)
            } catch {
                file.close()
                throw error
            }
        }
        guard let newest = skipped.first else { return nil }
        let older = skipped.count - 1
        throw ModelFileError("no intact checkpoint in \(path): \(newest)"
                             + (older > 0 ? " (and \(older) older one\(older == 1 ? "" : "s") that cannot be used)" : ""))
    }

    /// What `newestIntact` found.
    public struct Newest {
        public let step: Int
        /// The checkpoint, open.
        public let file: ModelFile
        public let state: TrainingState
        /// Why each newer checkpoint was passed over, newest first.
        public let skipped: [String]
        /// Those checkpoints' paths, in the same order.
        public let skippedPaths: [String]
        public var path: String { file.path }
    }

    /// The suffix of a checkpoint `--resume` passed over, renamed so that it is
    /// no longer a checkpoint: left under its name it would count among the
    /// newest that `prune(keep:)` keeps, and the intact ones would be deleted
    /// in its place.
    public static let unusableSuffix = ".unusable"

    /// Renames a passed-over checkpoint to `path` + `unusableSuffix` (replacing
    /// an older one of that name). Returns the new path, or nil with the reason
    /// it could not be renamed.
    public func setAside(_ path: String) -> (renamed: String?, why: String?) {
        let target = path + Self.unusableSuffix
        if rename(path, target) == 0 { return (target, nil) }
        return (nil, String(cString: strerror(errno)))
    }

    /// Creates the directory (and the run directory) if needed.
    public func create() throws {
        if let why = Directories.make(path) {
            throw ModelFileError("\(path): cannot create the checkpoint directory (\(why))")
        }
    }

    /// Deletes all but the newest `keep` final checkpoints (keep ≤ 0 keeps all).
    /// Returns the deleted paths.
    @discardableResult
    public func prune(keep: Int) -> [String] {
        guard keep > 0 else { return [] }
        let all = checkpoints()
        guard all.count > keep else { return [] }
        let doomed = all.prefix(all.count - keep).map(\.path)
        for p in doomed { unlink(p) }
        return doomed
    }

    /// Deletes temporaries left by a crashed writer. Only rank 0 writes here, and
    /// it calls this before its first write, so no temporary can be in use.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let stale = names.filter { $0.hasPrefix(Self.temporaryPrefix + "step-") && $0.contains(".h5.tmp-") }
            .map { (path as NSString).appendingPathComponent($0) }
        for p in stale { unlink(p) }
        return stale
    }
}
