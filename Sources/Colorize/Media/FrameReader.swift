import DataPrep
import Foundation

/// Decodes a video (or one image) with ffmpeg into rgb24 frames at the
/// input's own resolution, every frame exactly once (`-fps_mode passthrough`).
///
/// A reader thread keeps up to `depth` frames decoded ahead, so ffmpeg's
/// decoding and the pipe copy overlap the network instead of waiting for it.
final class FrameReader: @unchecked Sendable {
    let width: Int, height: Int
    var frameBytes: Int { width * height * 3 }
    private let process = Process()
    private let stderr: StderrCollector
    private let path: String

    private let lock = NSCondition()
    private var ready: [UnsafeMutablePointer<UInt8>] = []
    private var free: [UnsafeMutablePointer<UInt8>] = []
    private var all: [UnsafeMutablePointer<UInt8>] = []
    private var finished = false
    private var cancelled = false
    private var endedMidFrame = false
    private var current: UnsafeMutablePointer<UInt8>?

    init(path: String, width: Int, height: Int, depth: Int = 3) throws {
        self.width = width
        self.height = height
        self.path = path
        process.executableURL = URL(fileURLWithPath: try FFmpeg.ffmpegPath())
        process.arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", "file:" + path,
                             "-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough",
                             "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stderr = StderrCollector(err.fileHandleForReading)
        for _ in 0..<max(1, depth) {
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: width * height * 3)
            all.append(buffer)
            free.append(buffer)
        }
        let fd = out.fileHandleForReading.fileDescriptor
        let handle = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            readLoop(fd)
            try? handle.close()
        }
    }

    deinit {
        cancel()
        for b in all { b.deallocate() }
    }

    private func readLoop(_ fd: Int32) {
        let bytes = frameBytes
        while true {
            lock.lock()
            while free.isEmpty && !cancelled { lock.wait() }
            if cancelled { lock.unlock(); break }
            let buffer = free.removeLast()
            lock.unlock()
            var filled = 0
            while filled < bytes {
                let n = read(fd, buffer + filled, bytes - filled)
                if n > 0 { filled += n; continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            lock.lock()
            if filled == bytes {
                ready.append(buffer)
                lock.broadcast()
                lock.unlock()
                continue
            }
            endedMidFrame = filled > 0
            free.append(buffer)
            lock.unlock()
            break
        }
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// The next frame (valid until the next call), or nil at the end.
    func next() -> UnsafeMutablePointer<UInt8>? {
        lock.lock()
        defer { lock.unlock() }
        if let current { free.append(current); lock.broadcast() }
        current = nil
        while ready.isEmpty && !finished { lock.wait() }
        guard !ready.isEmpty else { return nil }
        current = ready.removeFirst()
        return current
    }

    /// Waits for ffmpeg; throws if it failed or stopped inside a frame.
    func finish() throws {
        process.waitUntilExit()
        let text = stderr.wait()
        lock.lock()
        let partial = endedMidFrame
        lock.unlock()
        guard process.terminationStatus == 0 else {
            throw MediaError("\(path): decoding failed (ffmpeg: \(FFmpeg.lastLine(text)))")
        }
        if partial { throw MediaError("\(path): the decoder stopped inside a frame") }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
        if process.isRunning { process.terminate() }
    }
}
