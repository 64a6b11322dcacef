import Dispatch

extension ComputeThreads {
    /// Runs `body` over `0..<tasks` split into one contiguous range per compute
    /// thread (`DispatchQueue.concurrentPerform`), or inline when one thread is
    /// set or the job is too small to pay for waking a second thread.
    ///
    /// `work` is a rough element count of the whole job; below `serialWork`
    /// the loop stays on the calling thread. The closure is non-escaping, so a
    /// call allocates nothing on the heap.
    static func parallelFor(tasks: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let threads = min(count, tasks)
        if threads <= 1 || work < serialWork {
            body(0..<tasks)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = tasks * t / threads
            let hi = tasks * (t + 1) / threads
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Jobs smaller than this many elements run on one thread.
    static let serialWork = 16_384
}
