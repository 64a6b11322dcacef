import Foundation

/// Decodes a video, an image or a list of images with ffmpeg into rgb24 frames
/// of `width × height`, every frame exactly once (`-fps_mode passthrough`: no
/// frame is duplicated or dropped for a frame rate, so variable-frame-rate
/// files keep exactly the frames they contain), turned upright as a player
/// shows them (ffmpeg's autorotate; `MediaInfo` gives the size it makes). An
/// optional filter chain (prep's crop and scale, `FitMode.filter`) runs inside
/// ffmpeg. On request the reader also gives each frame's timestamp
/// (`FrameTimestamps`), for an encoder that keeps them.
///
/// A reader thread keeps up to `depth` frames decoded ahead, so ffmpeg's
/// decoding and the pipe copy overlap the caller's work instead of waiting for
/// it. With `depth` 0 the caller's thread reads the pipe itself: for frames
/// small enough that the pipe holds many of them (prep's 128²), ffmpeg runs
/// ahead anyway, and a reader thread would only add two thread hand-offs a
/// frame. Such a reader belongs to one thread: `next`, `cancel` and `finish`
/// are called from the thread that reads.
public final class FrameReader: @unchecked Sendable {
    public enum Input: Sendable {
        case file(String)
        /// Images read in this order as one stream (each may differ in size; the filter makes them equal).
        case images([String])
    }

    public let width: Int, height: Int
    public var frameBytes: Int { width * height * 3 }
    private let process = Process()
    private let stderr: StderrCollector
    private let name: String
    /// Every frame's presentation time, when asked for (`timestamps: true`).
    public let timestamps: FrameTimestamps?
    /// The image list and its links (`writeList`), removed with the reader.
    private var listFolder: String?

    private let lock = NSCondition()
    private var ready: [UnsafeMutablePointer<UInt8>] = []
    private var free: [UnsafeMutablePointer<UInt8>] = []
    private var all: [UnsafeMutablePointer<UInt8>] = []
    private var finished = false
    private var cancelled = false
    private var endedMidFrame = false
    private var current: UnsafeMutablePointer<UInt8>?
    /// `depth` 0: frames are read by `next()` on the caller's thread.
    private let direct: Bool
    /// The pipe in direct mode, until the end of the stream or a cancel closes it.
    private var directPipe: FileHandle?

    /// `threads`: ffmpeg's threads for decoding (`-threads`) and for the filter
    /// chain (`-filter_threads`); nil leaves ffmpeg's choice (about one per
    /// core each). A caller that already keeps every core busy with several
    /// readers passes 1: more threads then only add synchronisation.
    /// `timestamps`: read each frame's presentation time too, as the file
    /// states it (`-copyts`: not moved to start at zero, so it matches the
    /// file's other streams).
    /// `seek`: start decoding this many seconds after the container's start
    /// (`MediaInfo.startMicroseconds`; ffmpeg's input `-ss`, which decodes from
    /// the key frame before it and drops the frames before it).
    public init(_ input: Input, width: Int, height: Int, filter: String? = nil, depth: Int = 3,
                threads: Int? = nil, timestamps: Bool = false, seek: Double? = nil,
                temporaryDirectory: String = NSTemporaryDirectory()) throws {
        self.width = width
        self.height = height
        direct = depth == 0
        // Resolved before the image list is written, so a missing ffmpeg leaves nothing behind.
        let ffmpeg = try FFmpeg.ffmpegPath()
        // Errors are what a damaged file gives (a slice it cannot decode); with a
        // relay (--log-level debug) warnings too, for whoever is looking.
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", ExternalProcess.relay == nil ? "error" : "warning"]
        if let threads { arguments += ["-filter_threads", String(max(1, threads)), "-threads", String(max(1, threads))] }
        self.timestamps = timestamps ? FrameTimestamps() : nil
        switch input {
        case .file(let path):
            name = path
            if timestamps { arguments.append("-copyts") }
            if let seek, seek > 0 { arguments += ["-ss", String(format: "%.6f", seek)] }
            arguments += ["-i", "file:" + path]
        case .images(let images):
            name = images.first ?? "images"
            let folder = try Self.writeList(images, in: temporaryDirectory)
            listFolder = folder
            arguments += ["-f", "concat", "-safe", "0", "-i", (folder as NSString).appendingPathComponent(Self.listName)]
        }
        arguments += ["-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough"]
        if let filter { arguments += ["-vf", filter] }
        arguments += ["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
        if timestamps {
            arguments += ["-map", "0:v:0", "-fps_mode", "passthrough", "-enc_time_base", "-1", "-c:v", "wrapped_avframe",
                          "-flush_packets", "1", "-f", "framecrc", "pipe:2"]
        }
        FFmpeg.prepare(process, path: ffmpeg, arguments: arguments)
        let out = Pipe(), err = Pipe()
        // A 64 KB pipe holds about one 128² frame, so ffmpeg and this reader
        // would take turns; a 1 MB pipe lets them run side by side.
        _ = fcntl(out.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            // deinit does not run for an init that throws here: remove the list now.
            if let listFolder { try? FileManager.default.removeItem(atPath: listFolder) }
            throw error
        }
        stderr = StderrCollector(err.fileHandleForReading, timestamps: self.timestamps)
        for _ in 0..<max(1, depth) {
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: width * height * 3)
            all.append(buffer)
            free.append(buffer)
        }
        let handle = out.fileHandleForReading
        if direct {
            directPipe = handle
            return
        }
        Thread.detachNewThread { [self] in
            readLoop(handle.fileDescriptor)
            try? handle.close()
        }
    }

    deinit {
        cancel()
        if !direct {
            lock.lock()
            while !finished { lock.wait() }
            lock.unlock()
        }
        for b in all { b.deallocate() }
        if let listFolder { try? FileManager.default.removeItem(atPath: listFolder) }
    }

    static let listName = "images.ffconcat"

    /// Writes ffmpeg's concat list of `images` into a new folder of its own
    /// under `temporaryDirectory`, and returns the folder. The list is read
    /// line by line, so a path holding a line break (a folder called
    /// "scan\n1950") cannot be written into it: such an image is listed
    /// through a symbolic link in the folder, named without one.
    static func writeList(_ images: [String], in temporaryDirectory: String) throws -> String {
        let fm = FileManager.default
        let folder = (temporaryDirectory as NSString).appendingPathComponent("images-\(UUID().uuidString)")
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: false)
        do {
            var text = "ffconcat version 1.0\n"
            for (i, image) in images.enumerated() {
                var listed = image
                if image.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                    let ext = (image as NSString).pathExtension
                    listed = (folder as NSString).appendingPathComponent("\(i)" + (ext.isEmpty ? "" : "." + ext))
                    let target = image.hasPrefix("/") ? image : (fm.currentDirectoryPath as NSString).appendingPathComponent(image)
                    try fm.createSymbolicLink(atPath: listed, withDestinationPath: target)
                }
                text += "file '" + listed.replacingOccurrences(of: "'", with: "'\\''") + "'\nduration 0.04\n"
            }
            try text.write(toFile: (folder as NSString).appendingPathComponent(listName), atomically: false, encoding: .utf8)
        } catch {
            try? fm.removeItem(atPath: folder)
            throw error
        }
        return folder
    }

    private func readLoop(_ fd: Int32) {
        let bytes = frameBytes
        while true {
            lock.lock()
            while free.isEmpty && !cancelled { lock.wait() }
            if cancelled { lock.unlock(); break }
            let buffer = free.removeLast()
            lock.unlock()
            let filled = Self.readFrame(fd, into: buffer, bytes: bytes)
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

    /// Reads up to `bytes` from `fd`; fewer only at the end of the stream.
    private static func readFrame(_ fd: Int32, into buffer: UnsafeMutablePointer<UInt8>, bytes: Int) -> Int {
        var filled = 0
        while filled < bytes {
            let n = read(fd, buffer + filled, bytes - filled)
            if n > 0 { filled += n; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return filled
    }

    /// The next frame (valid until the next call), or nil at the end.
    public func next() -> UnsafeMutablePointer<UInt8>? {
        if direct { return nextDirect() }
        lock.lock()
        defer { lock.unlock() }
        if let current { free.append(current); lock.broadcast() }
        current = nil
        while ready.isEmpty && !finished { lock.wait() }
        guard !ready.isEmpty else { return nil }
        current = ready.removeFirst()
        return current
    }

    private func nextDirect() -> UnsafeMutablePointer<UInt8>? {
        guard let pipe = directPipe else { return nil }
        let filled = Self.readFrame(pipe.fileDescriptor, into: all[0], bytes: frameBytes)
        if filled == frameBytes { return all[0] }
        lock.lock()
        endedMidFrame = filled > 0
        lock.unlock()
        closeDirectPipe()
        return nil
    }

    /// Closes the read end: ffmpeg, blocked on a full pipe or not, then fails its
    /// next write and exits (a SIGTERM alone would not end a write it is blocked in).
    private func closeDirectPipe() {
        try? directPipe?.close()
        directPipe = nil
    }

    /// Waits for ffmpeg: its exit status, what it said on stderr, and whether
    /// the stream ended inside a frame. For callers that keep a damaged input's frames.
    public func finish() -> (status: Int32, message: String, endedMidFrame: Bool) {
        // Frames nobody will read must not keep ffmpeg waiting on the pipe.
        if direct { closeDirectPipe() }
        process.waitUntilExit()
        let text = stderr.wait()
        lock.lock()
        defer { lock.unlock() }
        return (process.terminationStatus, text, endedMidFrame)
    }

    /// Waits for ffmpeg; throws if it failed or stopped inside a frame.
    public func finishOrThrow() throws {
        let result = finish()
        guard result.status == 0 else {
            throw MediaError(path: name, reason: "decoding failed (ffmpeg: \(FFmpeg.lastLine(result.message)))")
        }
        if result.endedMidFrame { throw MediaError(path: name, reason: "the decoder stopped inside a frame") }
    }

    /// One line for the user when ffmpeg complained while decoding (damaged
    /// slices, corrupt packets) but went on: how many lines and the first, in
    /// place of the lines themselves. Nil when it said nothing, or when its
    /// lines were relayed as they came (`ExternalProcess.relay`). After `finish`.
    public func complaintSummary() -> String? {
        let (count, first) = stderr.complaints()
        return Self.complaintSummary(count: count, first: first, decoding: name)
    }

    /// How many lines ffmpeg complained in and the first, after `finish` or
    /// `cancel`: for a caller that sums several readers of one input.
    public func complaints() -> (count: Int, first: String?) { stderr.complaints() }

    /// The same so far, before a `cancel`: stopping ffmpeg makes it complain
    /// of a broken pipe, which says nothing about the input.
    public func complaintsBeforeCancel() -> (count: Int, first: String?) { stderr.complaintsSoFar() }

    /// The one line for `count` complaints about `name`, the first being `first`.
    public static func complaintSummary(count: Int, first: String?, decoding name: String) -> String? {
        guard count > 0, ExternalProcess.relay == nil else { return nil }
        return "ffmpeg reported \(count) warning\(count == 1 ? "" : "s") decoding \(name)"
            + (first.map { " (first: \($0))" } ?? "") + "; --log-level debug shows them"
    }

    /// Stops ffmpeg early (errors, strict mode, a cancelled run).
    public func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
        if direct { closeDirectPipe() }
        if process.isRunning { process.terminate() }
    }
}
