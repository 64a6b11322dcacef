import MPIShim

/// A non-blocking all-reduce in flight (MPI_Iallreduce).
///
/// OpenMPI has no progress thread for TCP/shared memory: the reduction only
/// advances while some MPI call runs, so call `test()` now and then (e.g.
/// between layers' backward passes) to overlap communication with compute,
/// and `wait()` before reading the buffer.
public final class AllReduceRequest {
    /// The handle MPI fills in; MPI_REQUEST_NULL once complete (or never started).
    var request: MPI_Request? = vc_mpi_request_null()
    /// The buffer being reduced in place.
    public let buffer: UnsafeMutableBufferPointer<Float>
    /// Waits go through its deadline (`CollectiveDeadline`).
    let communicator: Communicator

    init(buffer: UnsafeMutableBufferPointer<Float>, communicator: Communicator) {
        self.buffer = buffer
        self.communicator = communicator
    }

    /// A request dropped in flight is completed first: MPI still writes into
    /// the buffer and owns the handle until then.
    deinit {
        if !isComplete { try? wait() }
    }

    /// True once the result is in `buffer`.
    public var isComplete: Bool { request == vc_mpi_request_null() }

    /// Blocks until the reduction has finished (or the collective deadline ends the job).
    public func wait() throws {
        guard !isComplete else { return }
        try communicator.complete(&request, "MPI_Iallreduce of \(buffer.count) floats")
    }

    /// Advances the reduction; true once it has finished.
    @discardableResult
    public func test() throws -> Bool {
        guard !isComplete else { return true }
        var flag: Int32 = 0
        try mpiCheck(MPI_Test(&request, &flag, vc_mpi_status_ignore()), "MPI_Test")
        return flag != 0
    }
}
