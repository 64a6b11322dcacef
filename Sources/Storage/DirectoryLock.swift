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
///
/// An output that is replaced as a whole (colorize's video, image or folder
/// of frames, renamed into place when complete) cannot hold its own lock:
/// `beside(_:for:)` locks `.NAME.vcolor.lock` next to it instead, and removes
/// that file when done.
public final class DirectoryLock {
    public static let fileName = ".vcolor.lock"
    public let path: String
    private let fd: Int32
    private let removeWhenDone: Bool

    /// Locks `directory` (which must exist) for `what` ("prep", "train": the
    /// same lock for both, a data set is no run directory), or
    /// throws a one-line `StorageError` naming the holder's process id.
    public convenience init(_ directory: String, for what: String) throws {
        try self.init(lockFile: (directory as NSString).appendingPathComponent(Self.fileName), place: directory,
                      for: what, removeWhenDone: false)
    }

    /// Locks the output `place` (whose parent must exist) for `what` through
    /// `PARENT/.NAME.vcolor.lock`, removed again when the lock goes.
    public static func beside(_ place: String, for what: String) throws -> DirectoryLock {
        let name = (place as NSString).lastPathComponent
        let file = ((place as NSString).deletingLastPathComponent as NSString).appendingPathComponent(".\(name).vcolor.lock")
        return try DirectoryLock(lockFile: file, place: place, for: what, removeWhenDone: true)
    }

    private init(lockFile: String, place: String, for what: String, removeWhenDone: Bool) throws {
        path = lockFile
        self.removeWhenDone = removeWhenDone
        var attempts = 0
        while true {
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
                    throw StorageError(place, "in use by another vcolor \(what) (\(holder.isEmpty ? "process id unknown" : holder));"
                                       + " one writer at a time (the lock goes when that process ends)")
                }
                throw StorageError(path, "cannot lock (\(SystemError.words(reason)))")
            }
            // A lock file that is removed when done may have been removed (and
            // made anew by a third writer) between our open and our flock: the
            // lock then guards nothing, so take the file the name now holds.
            if removeWhenDone, FileIdentity(path: path) != FileIdentity(regularFile: fd), attempts < 100 {
                close(fd)
                attempts += 1
                continue
            }
            let text = Array("pid \(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pwrite(fd, text, text.count, 0)
            self.fd = fd
            return
        }
    }

    deinit {
        // Removed while still held, so no other writer can hold it meanwhile.
        if removeWhenDone { unlink(path) }
        close(fd)  // closing releases the lock
    }
}
