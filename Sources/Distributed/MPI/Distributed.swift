import MPIShim
import Net

/// Data-parallel training over MPI. (Filled by the Distributed issue.)
public enum Distributed {
    /// The MPI library's version string.
    public static var mpiLibraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING))
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        return String(cString: buffer)
    }
}
