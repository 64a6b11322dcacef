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
///
/// With `progressMicroseconds` > 0 a helper thread (`BucketProgress`) lets
/// MPI advance the buckets in flight that often during backward; with 0 they
/// advance only when a block ends. Either way the average is the same bits:
/// when a reduction makes progress does not change what it computes.
final class OverlappedAverage {
    let buckets: GradientBuckets
    let progress: BucketProgress?
    /// The highest bucket not started yet in this step.
    private var next: Int

    init(communicator: Communicator, parameters: ParameterSet, bucketBytes: Int,
         precision: AllReducePrecision = .fp32, progressMicroseconds: Int = 0) throws {
        buckets = try GradientBuckets(communicator: communicator, buffer: parameters.grads,
                                      tensorOffsets: parameters.trainable.map(\.offset), bucketBytes: bucketBytes,
                                      precision: precision)
        next = buckets.count - 1
        progress = progressMicroseconds > 0 && communicator.size > 1
            ? BucketProgress(buckets: buckets, intervalMicroseconds: progressMicroseconds) : nil
    }

    deinit { progress?.stop() }

    /// Gradients at offsets ≥ `offset` are final: start their buckets, and
    /// let MPI advance the ones in flight.
    func gradientsFinal(from offset: Int) throws {
        let first = next == buckets.count - 1
        try exclusive {
            while next >= 0, buckets.ranges[next].lowerBound >= offset {
                try buckets.bucketReady(next)
                next -= 1
            }
            try buckets.progress()
        }
        if first, next < buckets.count - 1 { progress?.activate() }
    }

    /// Runs `body` (which may call MPI) while the progress thread stays out of MPI.
    func exclusive<T>(_ body: () throws -> T) throws -> T {
        if let progress { return try progress.exclusive(body) }
        return try body()
    }

    /// Starts the remaining buckets, waits for all, leaves the average in the buffer.
    func finish() throws {
        try progress?.deactivate()
        try buckets.waitAll()
        next = buckets.count - 1
    }
}
