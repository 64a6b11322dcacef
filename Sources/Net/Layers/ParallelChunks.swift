import Dispatch

/// Splits a loop of `count` independent items into contiguous chunks, one per
/// compute thread (`ComputeThreads.count`), and runs them with
/// `DispatchQueue.concurrentPerform`.
///
/// Small loops stay on the calling thread: waking threads costs microseconds,
/// so a chunk is only worth it when it holds at least `grain` items.
/// Contiguous chunks (rather than interleaved items) keep each thread's inner
/// loop a straight, vectorisable run over memory.
enum ParallelChunks {
    static func run(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let threads = min(ComputeThreads.count, count / max(grain, 1))
        if threads <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { k in
            let lo = count * k / threads
            let hi = count * (k + 1) / threads
            body(lo..<hi)
        }
    }
}
