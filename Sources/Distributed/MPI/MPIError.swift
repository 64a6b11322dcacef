import MPIShim

/// An MPI call that returned an error code instead of `MPI_SUCCESS`.
///
/// The communicator runs with `MPI_ERRORS_RETURN`, so MPI hands failures back
/// to us; they become thrown Swift errors with MPI's own text, and the caller
/// decides whether to recover or to `abort` the whole job.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let code: Int32

    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// MPI's description of `code` (MPI_Error_string).
    public var message: String {
        var buffer = [CChar](repeating: 0, count: Int(vc_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == vc_mpi_success() else {
            return "MPI error code \(code)"
        }
        return String(cString: buffer)
    }

    public var description: String { "\(operation) failed: \(message)" }
}

/// Throws `MPIError` unless `code` is `MPI_SUCCESS`.
@inline(__always)
func mpiCheck(_ code: Int32, _ operation: @autoclosure () -> String) throws {
    if code != vc_mpi_success() { throw MPIError(operation: operation(), code: code) }
}

/// A usage error on our side of the MPI calls (sizes that do not match, a
/// bucket started twice, ...). Distinct from `MPIError`, which MPI reports.
public struct CommunicatorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
