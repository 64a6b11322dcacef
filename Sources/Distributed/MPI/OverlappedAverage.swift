import Net

/// Averages one network's gradients in buckets while its backward pass is
/// still running (PyTorch DDP's overlap): the network reports after each
/// block the lowest offset whose gradients are final, and every bucket lying
/// wholly above it starts its non-blocking all-reduce at once. `finish()`
/// (in the gradients-ready hook, before Adam) starts what is left and waits.
///
/// Buckets start from the end of the buffer down, the order in which backward
/// completes them; every rank runs the same backward, so every rank starts
/// the same buckets in the same order, as MPI requires.
final class OverlappedAverage {
    let buckets: GradientBuckets
    /// The highest bucket not started yet in this step.
    private var next: Int

    init(communicator: Communicator, parameters: ParameterSet, bucketBytes: Int) throws {
        buckets = try GradientBuckets(communicator: communicator, buffer: parameters.grads,
                                      tensorOffsets: parameters.trainable.map(\.offset), bucketBytes: bucketBytes)
        next = buckets.count - 1
    }

    /// Gradients at offsets ≥ `offset` are final: start their buckets, and
    /// let MPI advance the ones in flight (OpenMPI has no progress thread).
    func gradientsFinal(from offset: Int) throws {
        while next >= 0, buckets.ranges[next].lowerBound >= offset {
            try buckets.bucketReady(next)
            next -= 1
        }
        try buckets.progress()
    }

    /// Starts the remaining buckets, waits for all, leaves the average in the buffer.
    func finish() throws {
        try buckets.waitAll()
        next = buckets.count - 1
    }
}
