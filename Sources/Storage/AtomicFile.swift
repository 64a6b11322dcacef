#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The one way vcolor makes a file appear: written under a temporary name in
/// the destination's directory, flushed (fsync), renamed over the final name,
/// and the directory entry flushed too. A reader, a crash or a power loss then
/// sees either the old file or the whole new one, never a part.
///
/// Writers that produce their file themselves (HDF5, ffmpeg, a shard being
/// filled) write to a temporary name of their own choosing and call
/// `commit(_:to:)`; small files go through `write(_:to:)`.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically and durably.
    public static func write(_ bytes: some DataProtocol, to path: String) throws {
        try write(to: path) { file in
            for region in bytes.regions { try region.withUnsafeBytes { try file.write($0) } }
        }
    }

    /// Writes the file `fill` produces to `path` atomically and durably. The
    /// temporary is a hidden name beside `path`, removed again on any failure,
    /// including an error thrown by `fill`.
    public static func write(to path: String, _ fill: (Writer) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(path, "cannot write (\(SystemError.words(errno)))") }
        do {
            try fill(Writer(fd: fd, path: path))
            guard fsync(fd) == 0 else { throw StorageError(path, "cannot write (fsync: \(SystemError.words(errno)))") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let reason = SystemError.words(errno)
            unlink(temporary)
            throw StorageError(path, "cannot write (close: \(reason))")
        }
        do {
            try rename(temporary, to: path)
            try syncDirectory(containing: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A hidden name beside `path`, unique to this process and call.
    public static func temporaryPath(for path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let random = UInt32.random(in: 0...UInt32.max)
        return (parent.isEmpty ? "" : parent + "/") + ".\(name).tmp-\(getpid())-\(random)"
    }

    /// Appends to a file being written by `write(to:_:)`.
    public struct Writer {
        let fd: Int32
        let path: String

        /// Writes all of `buffer` (short writes and EINTR are retried).
        public func write(_ buffer: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n > 0 { done += n; continue }
                if n < 0 && errno == EINTR { continue }
                throw StorageError(path, "cannot write (\(SystemError.words(n < 0 ? errno : EIO)))")
            }
        }
    }

    /// Makes the complete file `temporary` (same directory) appear as `path`:
    /// fsync, rename, fsync of the directory. `temporary` is left in place if
    /// this fails, for the caller to remove or keep.
    public static func commit(_ temporary: String, to path: String) throws {
        try sync(temporary)
        try rename(temporary, to: path)
        try syncDirectory(containing: path)
    }

    /// Flushes a file's data and metadata to disk.
    public static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(path, "cannot open to sync (\(SystemError.words(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StorageError(path, "fsync failed (\(SystemError.words(errno)))") }
    }

    /// Flushes the entries of the directory that holds `path` (a rename inside it).
    public static func syncDirectory(containing path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StorageError(directory, "cannot open directory to sync (\(SystemError.words(errno)))")
        }
        defer { close(fd) }
        // Some file systems (some network mounts) refuse fsync on a directory; the rename is still atomic there.
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw StorageError(directory, "fsync of directory failed (\(SystemError.words(errno)))")
        }
    }

    /// Atomically replaces `destination` with `source` (same file system).
    public static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw StorageError(destination, "cannot move the finished file into place (\(SystemError.words(errno)))")
        }
    }
}
