import Foundation
import Storage

/// Joins video files encoded apart (colorize's chunks) into one output
/// without re-encoding: ffmpeg's concat demuxer with `-c:v copy`, and what
/// `KeptStreams` keeps of the original (audio, subtitles, chapters,
/// metadata) muxed from the original as `FrameWriter` muxes it.
///
/// The concat demuxer places each file right after the one before it,
/// lasting its `duration` line; given as the exact gap between the first
/// frames of consecutive chunks (not the encoder's guess for a chunk's last
/// frame), every frame comes back at its original's time, a variable frame
/// rate included. The joined video starts at zero; `-itsoffset` moves it to
/// the first frame's own time, where the encoder of a single pass puts it.
public enum ChunkJoin {
    public struct Part: Sendable {
        public var path: String
        /// Nanoseconds from this part's first frame to the next part's (nil for the last).
        public var duration: Int64?
        public init(path: String, duration: Int64?) { (self.path, self.duration) = (path, duration) }
    }

    /// Writes `parts` joined as `output` (hidden temporary, then renamed:
    /// `OutputTemporaries`, `AtomicFile`), the first frame at `startNanoseconds`.
    /// `list` is where the concat list is written (beside the parts).
    public static func join(_ parts: [Part], startNanoseconds: Int64, list: String,
                            streamsFrom original: (path: String, kept: KeptStreams)?, output: String) throws {
        var text = "ffconcat version 1.0\n"
        for part in parts {
            text += "file '" + part.path.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
            if let duration = part.duration { text += "duration " + seconds(duration) + "\n" }
        }
        do { try AtomicFile.write(Data(text.utf8), to: list) } catch { throw MediaError("\(error)") }
        defer { unlink(list) }
        let temporary = OutputTemporaries.path(for: output)
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-copyts"]
        if startNanoseconds != 0 { arguments += ["-itsoffset", seconds(startNanoseconds)] }
        arguments += ["-f", "concat", "-safe", "0", "-i", "file:" + list]
        if let original { arguments += ["-i", "file:" + original.path] }
        arguments += ["-map", "0:v:0"] + (original?.kept.arguments ?? []) + ["-c:v", "copy", "file:" + temporary]
        let result = try FFmpeg.run(arguments)
        guard result.status == 0 else {
            unlink(temporary)
            throw MediaError(path: output, reason: "joining the chunks failed (\(FFmpeg.writeFailure(result.stderr)))")
        }
        do { try AtomicFile.commit(temporary, to: output) } catch {
            unlink(temporary)
            throw MediaError("\(error)")
        }
    }

    /// Nanoseconds as seconds with microseconds, what ffmpeg's time options read.
    static func seconds(_ ns: Int64) -> String {
        let us = (ns >= 0 ? ns + 500 : ns - 500) / 1000
        let sign = us < 0 ? "-" : ""
        return sign + "\(abs(us) / 1_000_000)." + String(format: "%06d", Int(abs(us) % 1_000_000))
    }
}
