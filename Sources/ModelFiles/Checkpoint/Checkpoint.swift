import Foundation
import Storage
import HDF5Kit

/// The training checkpoint of docs/format.md §Checkpoints: one HDF5 file holding
///
///     /generator/<name>                      float32, PyTorch shape (weights and BN buffers)
///     /discriminator/<name>                  float32, PyTorch shape
///     /ema/generator/<name>                  optional: the generator's moving average
///     /optimizer/generator/<name>/{m,v}      Adam moments of each trainable tensor
///     /optimizer/discriminator/<name>/{m,v}
///
/// and the root attributes of `CheckpointHeader`. Every dataset carries a
/// `checksum` attribute (`TensorChecksum`) so a flipped bit in the raw data,
/// which HDF5 itself cannot notice in contiguous storage, is an error on load
/// rather than a silently different model. A weights-only
/// file has no `/optimizer` group and so no training state.
///
/// This is the writer; `ModelFile` reads (through `CheckpointStore`).
/// Rank 0 writes to a temporary name in the target directory, fsyncs the file,
/// renames it into place and fsyncs the directory, so the final name always
/// denotes a complete file.
public enum Checkpoint {
    /// The root `format` attribute that makes an HDF5 file a checkpoint.
    public static var format: String { CheckpointHeader.format }

    /// Writes `weights`, the run's `configuration` (JSON) and, for a run's
    /// checkpoint, its training state and Adam moments to `path` atomically
    /// (temporary file in the same directory, fsync, rename, fsync of the directory).
    public static func write(_ weights: ModelWeights, configuration: String,
                             training: (state: TrainingState, optimizers: Optimizers)? = nil, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        let temporary = (dir as NSString).appendingPathComponent(
            CheckpointDirectory.temporaryPrefix + (path as NSString).lastPathComponent + ".tmp-\(getpid())")
        // An unwritable place is named by the path asked for, with the reason (HDF5's own
        // message names the temporary and dumps its flags); HDF5 then creates the file anew.
        let probe = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard probe >= 0 else { throw ModelFileError("\(path): cannot write (\(SystemError.words(errno)))") }
        close(probe)
        unlink(temporary)
        do {
            let file = try HDF5File.create(temporary)
            do {
                try CheckpointHeader.write(configuration: configuration, training: training?.state, to: file.root)
                for section in weights.sections(optimizers: training?.optimizers) {
                    let group = try file.root.createGroup(section.group.path)
                    for t in section.tensors { try writeTensor(group, t.name, shape: t.shape, UnsafeBufferPointer(t.values)) }
                }
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error as? ModelFileError ?? ModelFileError(String(describing: error))
        }
    }

    static func writeTensor(_ group: HDF5Group, _ name: String, shape: [Int], _ values: UnsafeBufferPointer<Float>) throws {
        let dataset = try group.createDataset(name, of: Float.self, shape: shape)
        defer { dataset.close() }
        try dataset.write(values)
        try dataset.setAttribute("checksum", Int(bitPattern: UInt(TensorChecksum.of(values))))
    }
}
