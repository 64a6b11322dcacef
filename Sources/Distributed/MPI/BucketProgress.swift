import Foundation

/// Lets MPI advance G's gradient buckets while backward computes.
///
/// OpenMPI moves a non-blocking collective on only inside an MPI call (there
/// is no progress thread for TCP or shared memory), and every bucket needs
/// several such calls on both ranks: the rendezvous of each large message
/// (request to send, copy or transfer, acknowledgement) and each round of
/// the reduction schedule. Calling `MPI_Test` once per generator block gives
/// a bucket about one of those steps per block, so buckets started early in
/// backward were found still waiting at the final `MPI_Wait`, which then did
/// most of the work, exposed. This helper thread calls `MPI_Test` on the
/// buckets in flight every `interval` while backward runs, so each step of
/// the schedule follows the previous one within about `interval`.
///
/// MPI is initialised with MPI_THREAD_SERIALIZED: any thread may call MPI,
/// one at a time. Every MPI call the main thread makes while the helper is
/// active (starting buckets, sync-BN reductions) goes through `exclusive`,
/// and `deactivate` (before the final wait) returns only once the helper has
/// left MPI; between steps the helper sleeps on a condition and costs nothing.
public final class BucketProgress: @unchecked Sendable {
    private let condition = NSCondition()
    private var active = false
    private var stopped = false
    private var failure: Error?
    private let buckets: GradientBuckets
    private let interval: UInt32

    /// `intervalMicroseconds`: time between two MPI_Test rounds while active.
    public init(buckets: GradientBuckets, intervalMicroseconds: Int) {
        self.buckets = buckets
        interval = UInt32(clamping: max(1, intervalMicroseconds))
        let thread = Thread { [self] in loop() }
        thread.name = "vcolor-mpi-progress"
        thread.start()
    }

    private func loop() {
        condition.lock()
        while !stopped {
            guard active else { condition.wait(); continue }
            do { try buckets.progress() } catch {
                failure = error
                active = false
            }
            condition.unlock()
            usleep(interval)
            condition.lock()
        }
        condition.unlock()
    }

    /// Runs `body`, which may call MPI, while the helper stays out of MPI.
    public func exclusive<T>(_ body: () throws -> T) throws -> T {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        return try body()
    }

    /// Starts polling (buckets are in flight).
    public func activate() {
        condition.lock()
        active = true
        condition.signal()
        condition.unlock()
    }

    /// Stops polling; once this returns the helper makes no MPI call until
    /// `activate`. Rethrows an error the helper met.
    public func deactivate() throws {
        condition.lock()
        defer { condition.unlock() }
        active = false
        if let failure {
            self.failure = nil
            throw failure
        }
    }

    /// Ends the thread (it must not outlive MPI).
    public func stop() {
        condition.lock()
        stopped = true
        active = false
        condition.signal()
        condition.unlock()
    }
}
