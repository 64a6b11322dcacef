#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Operating-system errors in words, for one-line messages: `strerror` for an
/// errno, and the POSIX reason underneath a Foundation error (whose own text is
/// an NSCocoaErrorDomain code dump).
public enum SystemError {
    public static func words(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The most specific reason a Foundation (or any) error carries.
    public static func words(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return words(Int32(underlying.code))
        }
        if ns.domain == NSPOSIXErrorDomain { return words(Int32(ns.code)) }
        if let storage = error as? StorageError { return storage.description }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return words(ENOENT)
            case .fileWriteNoPermission, .fileReadNoPermission: return words(EACCES)
            case .fileWriteOutOfSpace: return words(ENOSPC)
            case .fileWriteVolumeReadOnly: return words(EROFS)
            case .fileWriteFileExists: return words(EEXIST)
            default: break
            }
        }
        return String(describing: error)
    }
}
