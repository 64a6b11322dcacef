import CBLAS
import Foundation

/// How many threads the numeric kernels use.
///
/// All parallelism runs on one pool (Dispatch's): vcolor's own loops and the
/// blocks of large GEMMs (see `sgemm`), each block calling OpenBLAS single-threaded.
/// OpenBLAS's own threads are kept at one, because its idle workers spin and
/// compete with the loops that run between GEMMs.
public enum ComputeThreads {
    /// Sets the thread count for vcolor's kernels (OpenBLAS itself stays at one thread).
    public static func set(_ n: Int) {
        let count = max(1, n)
        openblas_set_num_threads(1)
        _count = count
    }

    /// The current thread count.
    public static var count: Int { _count }

    /// One thread per core, divided among the ranks that share this node.
    public static func defaultCount(ranksOnNode: Int = 1) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, ranksOnNode))
    }

    nonisolated(unsafe) private static var _count = 1
}
