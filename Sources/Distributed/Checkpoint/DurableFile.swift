import Foundation

/// fsync and rename, the two steps that make "temporary name, then rename"
/// survive a crash or power loss: the data reaches the disk before the new
/// name does, and the directory entry itself is flushed afterwards.
public enum DurableFile {
    /// Flushes the file's data and metadata to disk.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError("\(path): cannot open to sync (\(errnoText()))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError("\(path): fsync failed (\(errnoText()))") }
    }

    /// Flushes a directory's entries (a rename inside it) to disk.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw CheckpointError("\(path): cannot open directory to sync (\(errnoText()))") }
        defer { close(fd) }
        // Some file systems (e.g. some network mounts) refuse fsync on a directory; the rename is still atomic there.
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw CheckpointError("\(path): fsync of directory failed (\(errnoText()))")
        }
    }

    /// Atomically replaces `destination` with `source` (same file system).
    static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw CheckpointError("cannot rename \(source) to \(destination) (\(errnoText()))")
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Makes `path` and its parents with mkdir; nil on success, else why not in a
    /// few words (Foundation's createDirectory error is an NSError dump, often
    /// without the POSIX reason).
    public static func makeDirectories(_ path: String) -> String? {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) == 0 { continue }
            let reason = errno
            var isDirectory: ObjCBool = false
            if reason == EEXIST, FileManager.default.fileExists(atPath: partial, isDirectory: &isDirectory), isDirectory.boolValue {
                continue
            }
            return reason == EEXIST ? "\(partial) is a file" : String(cString: strerror(reason))
        }
        return nil
    }
}
