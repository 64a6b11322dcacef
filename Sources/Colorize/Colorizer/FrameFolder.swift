import Foundation
import Media
import Storage

/// A folder of PNG frames written like a video: every frame goes into a
/// hidden `.NAME.tmp-PID` beside the folder (`OutputTemporaries`), which is
/// renamed to NAME once the last frame is written. A reader sees the earlier
/// folder or the whole new one, never frames of two runs mixed or a shorter
/// run's frames followed by a longer one's; a failed or stopped run leaves the
/// earlier folder as it was.
///
/// An earlier folder is replaced only when it holds nothing but PNG files
/// (what colorize writes there); anything else in it is the user's, so such a
/// folder is refused before any work.
final class FrameFolder {
    let path: String
    /// Where the frames go until `commit()`.
    let temporary: String

    /// Checks that an earlier `path` may be replaced and creates the temporary
    /// folder. The caller made `path`'s parent and holds `path`'s lock there.
    init(_ path: String) throws {
        self.path = path
        temporary = OutputTemporaries.path(for: path)
        try Self.checkReplaceable(path)
        guard mkdir(temporary, 0o755) == 0 else {
            throw MediaError("\(path): cannot create the output directory (\(SystemError.words(errno)))")
        }
    }

    /// Where the frame called `name` is written.
    func file(_ name: String) -> String { (temporary as NSString).appendingPathComponent(name) }

    /// Puts the complete folder in place of `path`. A full folder cannot be
    /// renamed over, so an earlier one is first moved aside (a hidden name the
    /// next run removes, should this process die in between) and removed after.
    func commit() throws {
        let aside = OutputTemporaries.path(for: path, .replaced)
        let replacing = FileManager.default.fileExists(atPath: path)
        do {
            if replacing { try AtomicFile.rename(path, to: aside) }
            do { try AtomicFile.rename(temporary, to: path) } catch {
                if replacing { _ = rename(aside, path) }
                throw error
            }
            try AtomicFile.syncDirectory(containing: path)
        } catch {
            discard()
            throw MediaError("\(error)")
        }
        if replacing { try? FileManager.default.removeItem(atPath: aside) }
    }

    /// Removes the frames written so far; `path` is left as it was.
    func discard() { try? FileManager.default.removeItem(atPath: temporary) }

    /// Throws unless `path` is missing, or a folder of PNG files alone.
    static func checkReplaceable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw MediaError("\(path): a file is in the way of the output directory") }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        let others = names.filter { name in
            var isDirectory: ObjCBool = false
            let full = (path as NSString).appendingPathComponent(name)
            return MediaPath.pathExtension(name) != "png"
                || !FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) || isDirectory.boolValue
        }
        if let first = others.first {
            throw MediaError("\(path) holds \(others.count == 1 ? "\(first)" : "\(first) and \(others.count - 1) more"), not only PNG frames;"
                             + " colorize replaces a folder of frames as a whole, so give a new or empty --out")
        }
    }
}
