import CBLAS
import Foundation

/// How many threads the numeric kernels use (OpenBLAS and vcolor's own loops).
public enum ComputeThreads {
    /// Sets the thread count for OpenBLAS and for vcolor's parallel loops.
    public static func set(_ n: Int) {
        let count = max(1, n)
        openblas_set_num_threads(Int32(count))
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
