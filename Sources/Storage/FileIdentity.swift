#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Device and inode: what "the same file" means, whatever the path's spelling
/// (a hard link, a symbolic link, `./x` against `x`).
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// What `path` names, symbolic links followed; nil when nothing is there.
    public init?(path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        self.init(s)
    }

    /// What the open descriptor `fd` refers to, when it is a regular file
    /// (a terminal, pipe or socket is nobody's input file).
    public init?(regularFile fd: Int32) {
        var s = stat()
        guard fstat(fd, &s) == 0, (s.st_mode & S_IFMT) == S_IFREG else { return nil }
        self.init(s)
    }

    private init(_ s: stat) {
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
    }
}
