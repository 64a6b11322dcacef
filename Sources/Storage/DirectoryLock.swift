#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One writer per place: an exclusive `flock` on `DIR/.vcolor.lock`, held
/// for as long as this object lives. The operating system releases it when
/// the process ends however it ends (killed, crashed), so there is never a
/// stale lock to clean up; the file holds the holder's process id, so a second
/// writer is told who is in the way.
public final class DirectoryLock {
    public static let fileName = ".vcolor.lock"
    public let path: String
    private let fd: Int32

    /// Locks `directory` (which must exist) for `what` ("prep", "train": the
    /// same lock for both, a data set is no run directory), or
    /// throws a one-line `StorageError` naming the holder's process id.
    public init(_ directory: String, for what: String) throws {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StorageError(path, "cannot create the lock file (\(SystemError.words(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buffer, 63, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            if reason == EWOULDBLOCK {
                throw StorageError(directory, "in use by another vcolor \(what) (\(holder.isEmpty ? "process id unknown" : holder));"
                                   + " one writer at a time (the lock goes when that process ends)")
            }
            throw StorageError(path, "cannot lock (\(SystemError.words(reason)))")
        }
        let text = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        self.fd = fd
    }

    deinit { close(fd) }  // closing releases the lock
}
