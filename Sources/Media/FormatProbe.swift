import CFFmpeg
import Foundation

/// What libavformat reports about a file: the values ffprobe would print,
/// before any of them is trusted (`MediaInfo.init(report:path:)` checks them).
struct ProbeReport {
    struct Stream {
        enum Kind { case video, audio, subtitle, other }
        var kind: Kind
        var codec: String
        /// The stream's number in the file (ffmpeg's `-map 0:N`).
        var index = 0
        /// A subtitle stream of text (SubRip, ASS, mov_text…), not of pictures.
        var isText = false
        /// Counts of the stream's timestamps: seconds = pts × num / den.
        var timeBase = Rational(0, 0)
        /// Degrees its display matrix turns the stored picture to show it, as
        /// ffmpeg's decoder applies it (clockwise, 0..<360); nil without a matrix.
        var rotation: Double?
        var width = 0
        var height = 0
        /// Unknown is 0/0 (or any non-positive part).
        var sampleAspectRatio = Rational(0, 0)
        /// ffprobe's `r_frame_rate`: the lowest rate that represents every timestamp.
        var frameRate = Rational(0, 0)
        /// ffprobe's `avg_frame_rate`.
        var averageFrameRate = Rational(0, 0)
        /// The container's frame count; 0 when it states none.
        var frames = 0
        /// Seconds; nil when the stream states none.
        var duration: Double?
    }

    /// libavformat's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    var format: String
    /// The container's duration in seconds; nil when it states none.
    var duration: Double?
    /// The container's start (its earliest stream's first timestamp) in
    /// microseconds, what ffmpeg's `-ss` counts from; 0 when it states none.
    var startMicroseconds: Int64 = 0
    var streams: [Stream]
}

/// A rational as libavformat gives it; nothing about it is trusted.
struct Rational: Equatable {
    var numerator: Int
    var denominator: Int
    init(_ numerator: Int, _ denominator: Int) { (self.numerator, self.denominator) = (numerator, denominator) }

    /// The value when both parts are positive; nil otherwise.
    var positiveValue: Double? {
        guard numerator > 0, denominator > 0 else { return nil }
        return Double(numerator) / Double(denominator)
    }
}

/// Probes files in-process with libavformat (open, then `find_stream_info`,
/// as ffprobe does). In-process because starting an ffprobe process per input
/// (it loads some two hundred shared libraries) cost more CPU than decoding a
/// short clip (docs/dataprep.md §Speed); decoding itself stays in an ffmpeg
/// child process. A deadline, checked by libavformat between its reads, stops
/// a probe that would otherwise read on for ever.
///
/// The price of in-process: a crash inside libavformat while probing ends the
/// whole run instead of skipping one input (docs/dataprep.md, "Inputs").
enum FormatProbe {
    /// Probing reads at most a few MB; a minute means a stuck device or a hostile file.
    static let deadlineSeconds = 60.0

    /// libavformat logs to stderr on its own; instead, its last error line
    /// reaches the user inside the one line of a `MediaError`.
    static let captureErrors: Void = vc_av_capture_errors()

    static func report(_ path: String, deadlineSeconds: Double = FormatProbe.deadlineSeconds) throws -> ProbeReport {
        _ = captureErrors
        vc_av_clear_last_error()
        guard let allocated = avformat_alloc_context() else { throw MediaError(path: path, reason: "out of memory") }
        let deadline = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        defer { deadline.deallocate() }
        deadline.pointee = vc_monotonic_seconds() + deadlineSeconds
        allocated.pointee.interrupt_callback = AVIOInterruptCB(
            callback: { vc_monotonic_seconds() > $0!.assumingMemoryBound(to: Double.self).pointee ? 1 : 0 },
            opaque: UnsafeMutableRawPointer(deadline))
        func failure(_ status: Int32) -> MediaError {
            let said = String(cString: vc_av_last_error())
            let why = vc_monotonic_seconds() > deadline.pointee
                ? "probing took over \(deadlineSeconds) s" : said.isEmpty ? errorText(status) : said
            return MediaError(path: path, reason: "not a readable video or image (\(why))")
        }
        // "file:" so a name like "http:x" or "pipe:1" is a file, never a protocol.
        var opened: UnsafeMutablePointer<AVFormatContext>? = allocated
        // As ffmpeg and ffprobe do: an MPEG-TS file's streams may sit in any of its programs.
        var options: OpaquePointer?
        av_dict_set(&options, "scan_all_pmts", "1", 0)
        defer { av_dict_free(&options) }
        var status = avformat_open_input(&opened, "file:" + path, nil, &options)
        // A failed open frees the context and sets `opened` to nil.
        guard status >= 0, let context = opened else { throw failure(status) }
        defer { avformat_close_input(&opened) }
        status = avformat_find_stream_info(context, nil)
        guard status >= 0 else { throw failure(status) }

        let c = context.pointee
        var report = ProbeReport(format: c.iformat.map { String(cString: $0.pointee.name) } ?? "?",
                                 duration: c.duration == vc_av_nopts_value() ? nil : Double(c.duration) / Double(vc_av_time_base()),
                                 streams: [])
        if c.start_time != vc_av_nopts_value() { report.startMicroseconds = c.start_time }
        for i in 0..<Int(c.nb_streams) {
            guard let stream = c.streams[i], let parameters = stream.pointee.codecpar?.pointee else { continue }
            let s = stream.pointee
            let kind: ProbeReport.Stream.Kind = switch parameters.codec_type {
            case AVMEDIA_TYPE_VIDEO: .video
            case AVMEDIA_TYPE_AUDIO: .audio
            case AVMEDIA_TYPE_SUBTITLE: .subtitle
            default: .other
            }
            let codec = parameters.codec_id == AV_CODEC_ID_NONE ? "?" : String(cString: avcodec_get_name(parameters.codec_id))
            var entry = ProbeReport.Stream(kind: kind, codec: codec, index: i)
            entry.timeBase = Rational(Int(s.time_base.num), Int(s.time_base.den))
            if kind == .subtitle, let descriptor = avcodec_descriptor_get(parameters.codec_id) {
                entry.isText = descriptor.pointee.props & AV_CODEC_PROP_TEXT_SUB != 0
            }
            if kind == .video {
                entry.rotation = rotation(stream)
                entry.width = Int(parameters.width)
                entry.height = Int(parameters.height)
                let sar = av_guess_sample_aspect_ratio(context, stream, nil)
                entry.sampleAspectRatio = Rational(Int(sar.num), Int(sar.den))
                entry.frameRate = Rational(Int(s.r_frame_rate.num), Int(s.r_frame_rate.den))
                entry.averageFrameRate = Rational(Int(s.avg_frame_rate.num), Int(s.avg_frame_rate.den))
                entry.frames = Int(s.nb_frames)
                if s.duration != vc_av_nopts_value() {
                    entry.duration = Double(s.duration) * Double(s.time_base.num) / Double(s.time_base.den)
                }
            }
            report.streams.append(entry)
        }
        return report
    }

    /// The turn ffmpeg's decoder gives a stream with a display matrix (its
    /// `autorotate`, on by default): the matrix's angle negated, rounded to
    /// hundredths and taken into 0..<360, as ffmpeg 5.1's `get_rotation` does.
    static func rotation(_ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        var size = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * 4 else { return nil }
        let matrix = UnsafeRawPointer(data).assumingMemoryBound(to: Int32.self)
        var theta = -(av_display_rotation_get(matrix) * 100).rounded() / 100
        guard theta.isFinite else { return nil }
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        return theta
    }

    /// libavutil's words for an error code ("Invalid data found when processing input").
    static func errorText(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        av_strerror(status, &buffer, buffer.count)
        return String(cString: buffer)
    }
}
