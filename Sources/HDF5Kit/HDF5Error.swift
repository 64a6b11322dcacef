import Foundation
import HDF5Shim

/// A failed HDF5 operation: what was being done, to which file/object, and HDF5's
/// own innermost reason when it gave one. One line, fit for a command's stderr.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The file (and, after a colon, the object path inside it) the error is about.
    public let path: String
    /// What failed, e.g. "cannot open dataset".
    public let message: String
    /// HDF5's description of the lowest-level failure, if any.
    public let reason: String

    public init(path: String, message: String, reason: String = "") {
        self.path = path
        self.message = message
        self.reason = reason
    }

    public var description: String {
        reason.isEmpty ? "\(path): \(message)" : "\(path): \(message) (\(reason))"
    }

    /// Builds an error from the calling thread's HDF5 error stack, then clears it.
    /// Call with the HDF5 lock held.
    static func fromStack(path: String, message: String) -> HDF5Error {
        var inner = [CChar](repeating: 0, count: 512)
        var outer = [CChar](repeating: 0, count: 512)
        vc_h5e_messages(&inner, &outer)
        vc_h5e_clear()
        return HDF5Error(path: path, message: message, reason: inWords(String(cString: inner)))
    }

    /// HDF5's file-driver messages dump a whole record ("file write failed:
    /// time = …, filename = …, errno = 28, error message = 'No space left on
    /// device', buf = …") over several lines; one line keeps what matters:
    /// "file write failed: No space left on device".
    static func inWords(_ reason: String) -> String {
        guard let errnoRange = reason.range(of: "errno = ") else {
            return reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
        let digits = reason[errnoRange.upperBound...].prefix { $0.isNumber }
        let what = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "failed"
        guard let code = Int32(digits) else { return what }
        return "\(what): \(String(cString: strerror(code)))"
    }
}
