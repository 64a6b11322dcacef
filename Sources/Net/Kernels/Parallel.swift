extension ComputeThreads {
    /// `ParallelChunks.run` for the kernels, which size a job by its element
    /// count `work` rather than by items: one chunk per thread over `tasks`, or
    /// the whole job on the calling thread below `serialWork` elements.
    static func parallelFor(tasks: Int, work: Int, _ body: (Range<Int>) -> Void) {
        ParallelChunks.run(tasks, grain: work < serialWork ? max(tasks, 1) : 1, body)
    }

    /// Jobs smaller than this many elements run on one thread.
    static let serialWork = 16_384
}
