import Foundation
import HDF5Shim

/// The one process-wide lock every HDF5 call goes through.
///
/// Debian's libhdf5 is built "thread-safe", but that only means one global mutex
/// inside the library for some builds and none for others; vcolor does not rely on
/// it. Every C call made by HDF5Kit runs inside `HDF5Lock.run`, so two threads
/// never enter the library at once. The lock is recursive so an object can be
/// closed (in `deinit`) while another call on the same thread holds it.
public enum HDF5Lock {
    /// Created (once, thread-safely) before the first HDF5 call, which is when
    /// HDF5's exit handler must be declined: at exit it closes every file still
    /// open, and one whose write failed (disk full) makes it crash after the
    /// error was already reported. vcolor closes (or abandons and deletes)
    /// every file it writes itself, so the handler has nothing to save.
    private static let lock: NSRecursiveLock = {
        H5dont_atexit()
        return NSRecursiveLock()
    }()

    /// Per-thread flag: has this thread silenced HDF5's automatic error printing?
    /// (With a thread-safe build the error stack, and its auto-print setting, is per thread.)
    private static let silencedKey = "vcolor.hdf5.silenced"

    /// Runs `body` holding the HDF5 lock, with automatic error printing silenced
    /// so failures come back only as thrown Swift errors.
    @inline(__always)
    public static func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        let thread = Thread.current
        if thread.threadDictionary[silencedKey] == nil {
            vc_h5e_silence()
            thread.threadDictionary[silencedKey] = true
        }
        return try body()
    }
}
