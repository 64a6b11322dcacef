import Foundation
import Storage

/// Encodes frames with ffmpeg: a video (H.264 yuv420p by default, fed
/// Y′CbCr 4:2:0 or, with an odd side, rgb24, as `layout` says; each frame at
/// the timestamp it is given; what `KeptStreams` keeps of an
/// original — audio, subtitles, chapters, metadata — is muxed in when the
/// chunks are joined, `ChunkJoin`), or one still image (format by extension,
/// PNG for colorize's own outputs).
///
/// A video's frames reach ffmpeg with their timestamps as a live Matroska
/// stream (`MatroskaPipe`), encoded at the original's time base and passed
/// through (`-fps_mode passthrough`): frame for frame the original's times, so
/// a variable frame rate stays variable and in step with the sound. A video is
/// tagged with what its values are (`colourTags`).
///
/// ffmpeg writes to a hidden temporary name next to `path` (same extension, so
/// the same muxer) that `finish()` renames into place once the encoder has
/// succeeded: a failed or interrupted run never leaves a half video that looks
/// complete, and never destroys an earlier output (or the input) of that name.
public final class FrameWriter {
    public let width: Int, height: Int
    public let path: String
    /// What `write` takes: an image's frames are rgb24, a video's
    /// `PixelLayout.video(width:height:)`.
    public let layout: PixelLayout
    /// Where ffmpeg writes until `finish()` renames it to `path`.
    let temporary: String
    private let process = Process()
    private let stdin: FileHandle
    private let stderr: StderrCollector
    /// A video's frame header (`MatroskaPipe`), rewritten for every frame; nil for an image.
    private let frameHeader: UnsafeMutablePointer<UInt8>?

    public struct VideoOptions {
        /// The time base of the encoder and of the output's video stream ("1/15360",
        /// an original's; "1/25" for images at 25 fps).
        public var timeBase: String
        public var codec = "libx264"
        public var crf = 18
        /// x264/x265 speed preset (nil: the encoder's default, medium).
        public var preset: String?
        public var sampleAspectRatio = "1:1"

        public init(timeBase: String, codec: String = "libx264", crf: Int = 18) {
            self.timeBase = timeBase
            self.codec = codec
            self.crf = crf
        }
    }

    /// A video writer; frames go in with `write(_:nanoseconds:)`.
    public convenience init(video path: String, width: Int, height: Int, options: VideoOptions) throws {
        // -copyts: the frames' times are the original's own.
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-copyts", "-f", "matroska", "-i", "pipe:0"]
        arguments += ["-c:v", options.codec]
        if options.codec == "libx264" || options.codec == "libx265" {
            arguments += ["-crf", "\(options.crf)"]
            if let preset = options.preset { arguments += ["-preset", preset] }
        }
        // yuv420p needs even sizes; an odd frame keeps its size in a 4:4:4 file instead of being cropped.
        let layout = PixelLayout.video(width: width, height: height), subsampled = layout == .yuv420p
        arguments += ["-fps_mode", "passthrough", "-enc_time_base", options.timeBase,
                      "-pix_fmt", subsampled ? "yuv420p" : "yuv444p"] + Self.colourTags(subsampled: subsampled)
        arguments += ["-vf", "setsar=" + options.sampleAspectRatio.replacingOccurrences(of: ":", with: "/"),
                      "file:" + OutputTemporaries.path(for: path)]
        try self.init(path: path, width: width, height: height, arguments: arguments, layout: layout)
    }

    /// What a video's values are, written into it so a player need not guess:
    /// the BT.601 matrix in limited range (the matrix swscale uses for rgb24
    /// and `YCbCr420` reproduces), sRGB's primaries (BT.709's) and transfer
    /// curve (the output is sRGB, docs/format.md §Colour), and, for 4:2:0,
    /// chroma sited at the centre of each 2×2 block. Untagged, a player guesses
    /// by size, and takes a 1080p video for BT.709: its colours come out shifted.
    static func colourTags(subsampled: Bool) -> [String] {
        ["-colorspace", "smpte170m", "-color_range", "tv", "-color_primaries", "bt709", "-color_trc", "iec61966-2-1"]
            + (subsampled ? ["-chroma_sample_location", "center"] : [])
    }

    /// Encodes one tiny frame with `options` into a scratch file of `path`'s
    /// extension, so an encoder the container cannot hold (`--out x.gif` with
    /// H.264, `.webm`), an unknown codec or preset fails in a second with the
    /// reason, not after the whole network pass. Which of the two is at fault
    /// is told by encoding the same frame into no file at all: a bad `--preset`
    /// is not the container's doing.
    public static func checkVideoOutput(_ path: String, options: VideoOptions) throws {
        let ext = (path as NSString).pathExtension
        let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("vcolor-check-\(getpid()).\(ext)")
        defer { unlink(scratch) }
        var encode = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                      "-f", "lavfi", "-i", "color=c=gray:size=16x16:rate=25", "-frames:v", "1", "-c:v", options.codec]
        var with = ""
        if options.codec == "libx264" || options.codec == "libx265" {
            encode += ["-crf", "\(options.crf)"]
            if let preset = options.preset {
                encode += ["-preset", preset]
                with = " with --preset \(preset)"
            }
        }
        encode += ["-pix_fmt", "yuv420p"]
        let result = try FFmpeg.run(encode + ["file:" + scratch])
        guard result.status != 0 else { return }
        let encoder = try FFmpeg.run(encode + ["-f", "null", "-"])
        if encoder.status != 0 {
            throw MediaError("\(path): ffmpeg cannot write \(options.codec) video\(with) (\(FFmpeg.writeFailure(encoder.stderr)));"
                             + " choose another --codec\(with.isEmpty ? "" : " or --preset")")
        }
        throw MediaError("\(path): ffmpeg cannot write \(options.codec) video into a .\(ext) file"
                         + " (\(FFmpeg.writeFailure(result.stderr))); choose another --codec or output extension")
    }

    /// A single-image writer (the format follows `path`'s extension).
    public convenience init(image path: String, width: Int, height: Int) throws {
        try self.init(path: path, width: width, height: height, arguments: [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-i", "pipe:0",
            "-frames:v", "1", "-update", "1", "file:" + OutputTemporaries.path(for: path),
        ], layout: nil)
    }

    /// `layout` nil: a single image, rgb24 without timestamps.
    private init(path: String, width: Int, height: Int, arguments: [String], layout: PixelLayout?) throws {
        self.path = path
        self.width = width
        self.height = height
        self.layout = layout ?? .rgb24
        let video = layout != nil
        temporary = OutputTemporaries.path(for: path)
        // Resolved before the temporary file exists, so a missing ffmpeg leaves nothing behind.
        let ffmpeg = try FFmpeg.ffmpegPath()
        // Fail here, with the reason, if the output cannot be written at all.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw MediaError("\(path): cannot write the output (\(String(cString: strerror(errno))))")
        }
        close(fd)
        // A dead encoder must show up as a failed write (EPIPE), not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        FFmpeg.prepare(process, path: ffmpeg, arguments: arguments)
        let input = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        do { try process.run() } catch {
            unlink(temporary)
            throw error
        }
        stdin = input.fileHandleForWriting
        stderr = StderrCollector(err.fileHandleForReading)
        frameHeader = video ? .allocate(capacity: MatroskaPipe.frameHeaderSize) : nil
        if video {
            let header = MatroskaPipe.header(width: width, height: height, layout: self.layout)
            try header.withUnsafeBufferPointer { try send($0.baseAddress!, header.count) }
        }
    }

    deinit { frameHeader?.deallocate() }

    /// Writes one frame (`width × height × 3` bytes) of an image. An encoder that has
    /// stopped taking frames (it could not start: a full disk, an option it
    /// refuses) ends the job here with its reason, not after the whole film.
    public func write(_ frame: UnsafePointer<UInt8>) throws {
        precondition(frameHeader == nil, "a video's frames are written with their timestamps")
        try send(frame, width * height * 3)
    }

    /// Writes one frame of a video (in `layout`), shown at `nanoseconds` (the
    /// original's timestamp, `FrameTimestamps`); times must increase from frame to frame.
    public func write(_ frame: UnsafePointer<UInt8>, nanoseconds: Int64) throws {
        guard let frameHeader else { preconditionFailure("an image has no timestamp") }
        let bytes = layout.bytes(width: width, height: height)
        MatroskaPipe.frameHeader(nanoseconds: UInt64(bitPattern: nanoseconds), bytes: bytes, into: frameHeader)
        try send(frameHeader, MatroskaPipe.frameHeaderSize)
        try send(frame, bytes)
    }

    private func send(_ data: UnsafePointer<UInt8>, _ bytes: Int) throws {
        let fd = stdin.fileDescriptor
        var done = 0
        while done < bytes {
            let n = Foundation.write(fd, data + done, bytes - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw failed()
        }
    }

    /// Closes the pipe and waits for ffmpeg; throws with its complaint if it failed.
    public func finish() throws {
        try? stdin.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw failed() }
        do {
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            throw MediaError("\(error)")
        }
    }

    /// Waits for an encoder that failed, removes what it wrote, and says why.
    private func failed() -> MediaError {
        try? stdin.close()
        process.waitUntilExit()
        unlink(temporary)
        return MediaError(path: path, reason: "encoding failed (\(FFmpeg.writeFailure(stderr.wait())))")
    }

    /// Stops ffmpeg and removes what it wrote; `path` is left as it was.
    public func cancel() {
        try? stdin.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        unlink(temporary)
    }
}
