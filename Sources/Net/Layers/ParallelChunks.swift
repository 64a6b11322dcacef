import Dispatch

/// The program's one parallel loop: splits `count` independent items into
/// contiguous chunks, one per compute thread (`ComputeThreads.count`), and runs
/// them with `DispatchQueue.concurrentPerform`. (The GEMM splits its own blocks
/// on panel edges; everything else goes through here.)
///
/// Small loops stay on the calling thread: waking threads costs microseconds,
/// so a chunk is only worth it when it holds at least `grain` items.
/// Contiguous chunks (rather than interleaved items) keep each thread's inner
/// loop a straight, vectorisable run over memory. The closures are
/// non-escaping, so a call allocates nothing on the heap.
public enum ParallelChunks {
    /// How many chunks `run` splits `count` items into (at least 1).
    public static func chunks(_ count: Int, grain: Int) -> Int {
        max(1, min(ComputeThreads.count, count / max(grain, 1)))
    }

    public static func run(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        runIndexed(count, grain: grain) { _, range in body(range) }
    }

    /// `run`, also telling each call its chunk's index (0..<`chunks`), e.g. for per-thread scratch.
    public static func runIndexed(_ count: Int, grain: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let threads = chunks(count, grain: grain)
        if threads <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { k in
            body(k, (count * k / threads)..<(count * (k + 1) / threads))
        }
    }
}
