/// What a video output keeps of its original besides the picture, and how:
/// every audio and subtitle stream with its tags (language, title), the
/// chapters, and the file's metadata (title…), as ffmpeg arguments for an encoder
/// that reads the original as its input 1 (`FrameWriter`). Each stream is
/// copied as it is where the output's container can hold it, else converted
/// where it can be (audio to AAC, text subtitles to the container's text
/// format); a stream it can do neither with is named in `left`, which
/// colorize reports as its error before any work.
public struct KeptStreams: Equatable, Sendable {
    public var arguments: [String]
    /// One line naming what the container cannot hold, nil when all is kept.
    public var left: String?

    /// Audio codecs the MP4/MOV muxer takes as they are; others are re-encoded to AAC.
    static let mp4Audio: Set<String> = ["aac", "mp3", "alac", "ac3", "eac3"]
    static let mp4Family: Set<String> = ["mp4", "m4v", "mov"]
    /// Subtitle codecs Matroska holds as they are.
    static let matroskaSubtitles: Set<String> = ["subrip", "text", "ass", "ssa", "webvtt", "dvd_subtitle",
                                                  "dvb_subtitle", "hdmv_pgs_subtitle", "hdmv_text_subtitle"]

    /// For `original` (probed as `info`) written as `output`, whose extension names the container.
    public init(of info: MediaInfo, original: String, output: String) {
        let ext = MediaPath.pathExtension(output)
        // The file's metadata and chapters; each copied stream brings its own
        // tags (ffmpeg's default, which any per-stream -map_metadata would turn off).
        arguments = ["-map_metadata", "1", "-map_chapters", "1"]
        if let audio = info.audioCodec {
            arguments += ["-map", "1:a"]
            arguments += Self.mp4Family.contains(ext) && !Self.mp4Audio.contains(audio)
                ? ["-c:a", "aac", "-b:a", "192k"] : ["-c:a", "copy"]
        }
        var dropped: [MediaInfo.Subtitle] = []
        var kept = 0
        for subtitle in info.subtitles {
            guard let codec = Self.subtitleCodec(subtitle, ext) else {
                dropped.append(subtitle)
                continue
            }
            arguments += ["-map", "1:\(subtitle.index)", "-c:s:\(kept)", codec]
            kept += 1
        }
        // Fonts for styled (ASS) subtitles travel as attachments, which only Matroska holds.
        if ext == "mkv" { arguments += ["-map", "1:t?"] }
        if !dropped.isEmpty {
            let codecs = dropped.map(\.codec).joined(separator: ", ")
            let streams = dropped.count == 1 ? "its subtitle stream" : "its \(dropped.count) subtitle streams"
            left = "\(original): \(streams) (\(codecs)) cannot be kept in a .\(ext) file; write an .mkv, which keeps every kind"
        }
    }

    /// The encoder that puts `subtitle` into a file of extension `ext` ("copy"
    /// when it fits as it is), nil when that container cannot hold it.
    static func subtitleCodec(_ subtitle: MediaInfo.Subtitle, _ ext: String) -> String? {
        switch ext {
        case "mkv":
            return matroskaSubtitles.contains(subtitle.codec) ? "copy" : subtitle.isText ? "srt" : nil
        case _ where mp4Family.contains(ext):
            return subtitle.codec == "mov_text" || subtitle.codec == "dvd_subtitle" ? "copy" : subtitle.isText ? "mov_text" : nil
        case "webm":
            return subtitle.codec == "webvtt" ? "copy" : subtitle.isText ? "webvtt" : nil
        case "ts":
            return subtitle.codec == "dvb_subtitle" ? "copy" : nil
        case "mpg", "mpeg":
            return subtitle.codec == "dvd_subtitle" ? "copy" : nil
        default:
            return nil
        }
    }
}
