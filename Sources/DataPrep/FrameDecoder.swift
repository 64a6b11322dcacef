import Foundation

/// How a frame of any aspect ratio becomes a square `size × size` frame.
public enum FitMode: String, CaseIterable, Codable, Sendable {
    /// Centre-crop to a square (in display geometry, honouring the pixel aspect
    /// ratio), then scale. The default: training sees real content at its true
    /// proportions, with nothing invented; only the sides (or top/bottom) are lost.
    case crop
    /// Scale to fit inside the square and pad with black (letterbox/pillarbox).
    case pad
    /// Scale to the square, distorting the aspect ratio.
    case stretch
}

/// Decodes one input with ffmpeg into rgb24 frames of `size × size`, read from a
/// pipe one frame at a time. ffmpeg does the crop and scale (area averaging) and
/// passes frames through unchanged in number (`-fps_mode passthrough`): no frame
/// is duplicated or dropped for a frame rate, so variable-frame-rate files keep
/// exactly the frames they contain.
final class FrameDecoder {
    let frameBytes: Int
    private let process = Process()
    private let stdout: FileHandle
    private let stderr: StderrCollector
    private var listFile: String?
    private(set) var framesRead = 0
    /// True when the stream ended inside a frame (ffmpeg stopped mid-write).
    private(set) var endedMidFrame = false

    init(input: PrepInput, info: MediaInfo, size: Int, fit: FitMode, ffmpeg: String, temporaryDirectory: String) throws {
        frameBytes = size * size * 3
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error"]
        if input.kind == .imageSequence {
            let list = (temporaryDirectory as NSString).appendingPathComponent("images-\(UUID().uuidString).ffconcat")
            var text = "ffconcat version 1.0\n"
            for image in input.images {
                text += "file '" + image.replacingOccurrences(of: "'", with: "'\\''") + "'\nduration 0.04\n"
            }
            try text.write(toFile: list, atomically: false, encoding: .utf8)
            listFile = list
            arguments += ["-f", "concat", "-safe", "0", "-i", list]
        } else {
            arguments += ["-i", "file:" + input.path]
        }
        arguments += ["-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough",
                      "-vf", Self.filter(size: size, fit: fit, info: info),
                      "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        // A 64 KB pipe holds about one 128² frame, so ffmpeg and this reader
        // would take turns; a 1 MB pipe lets them run side by side.
        _ = fcntl(out.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stdout = out.fileHandleForReading
        stderr = StderrCollector(err.fileHandleForReading)
    }

    deinit {
        if process.isRunning { process.terminate() }
        if let listFile { try? FileManager.default.removeItem(atPath: listFile) }
    }

    /// The ffmpeg filter chain for a fit mode. Crop sizes are expressions of the
    /// input size so every image of an image sequence may differ in size.
    static func filter(size: Int, fit: FitMode, info: MediaInfo) -> String {
        let n = info.sarNumerator, d = info.sarDenominator
        switch fit {
        case .crop:
            // Display width = iw·n/d; the largest centred square in display geometry
            // is min(ih, iw·n/d) display pixels high, i.e. that many/(n/d) stored wide.
            return "crop=w='min(iw,ih*\(d)/\(n))':h='min(ih,iw*\(n)/\(d))',scale=\(size):\(size):flags=area,format=rgb24"
        case .pad:
            let square = n == d ? "" : "scale=w='trunc(iw*\(n)/\(d)/2)*2':h=ih,setsar=1,"
            return square + "scale=\(size):\(size):force_original_aspect_ratio=decrease:flags=area,format=rgb24,"
                + "pad=\(size):\(size):(ow-iw)/2:(oh-ih)/2:color=black"
        case .stretch:
            return "scale=\(size):\(size):flags=area,format=rgb24"
        }
    }

    /// Reads the next frame into `buffer` (`frameBytes` long); false at the end.
    func read(into buffer: UnsafeMutablePointer<UInt8>) -> Bool {
        let fd = stdout.fileDescriptor
        var filled = 0
        while filled < frameBytes {
            let n = Foundation.read(fd, buffer + filled, frameBytes - filled)
            if n > 0 { filled += n; continue }
            if n < 0 && errno == EINTR { continue }
            if filled > 0 { endedMidFrame = true }
            return false
        }
        framesRead += 1
        return true
    }

    /// Waits for ffmpeg; its exit status and what it said on stderr.
    func finish() -> (status: Int32, message: String) {
        try? stdout.close()
        process.waitUntilExit()
        let text = stderr.wait()
        return (process.terminationStatus, text)
    }

    /// Stops ffmpeg early (strict mode, errors).
    func cancel() {
        if process.isRunning { process.terminate() }
        _ = finish()
    }
}
