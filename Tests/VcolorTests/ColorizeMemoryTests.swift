import Foundation
import TestSupport
import XCTest

/// colorize streams: its memory does not grow with the input's length (a film
/// is hours of frames; docs/colorize.md §Memory).
final class ColorizeMemoryTests: XCTestCase {
    /// Runs vcolor with `arguments`, sampling its peak resident set (VmHWM in
    /// /proc, which only rises) every 10 ms; the last sample before it exits, in KiB.
    func peakResidentKiB(_ arguments: [String]) throws -> Int {
        let process = Process()
        process.executableURL = vcolorBinary()
        process.arguments = arguments
        process.environment = environmentWithoutMPI()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var peak = 0
        let deadline = Date().addingTimeInterval(defaultProcessTimeout)
        while process.isRunning, Date() < deadline {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
                peak = max(peak, kib)
            }
            usleep(10_000)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, arguments.joined(separator: " "))
        return peak
    }

    /// 500 and 2,000 frames of 64 × 48: the peak resident set of the longer run
    /// is within 4 MiB of the shorter one's. A frame's buffers (its RGB and
    /// its lightness) are 21 KiB, so keeping even one in five of the 1,500
    /// extra frames would show.
    func testResidentSetDoesNotGrowWithLength() throws {
        let dir = try makeScratchDirectory()
        var peaks: [Int] = []
        for frames in [500, 2000] {
            let clip = dir + "/in-\(frames).mp4"
            try SyntheticMedia.encode("testsrc2=size=64x48:rate=25", to: clip, output: ["-frames:v", "\(frames)", "-pix_fmt", "yuv420p"])
            peaks.append(try peakResidentKiB(["colorize", "--model", colorizeFixture("tiny-lstm.safetensors"), clip,
                                              "--out", dir + "/out-\(frames).mp4", "--quiet", "--threads", "1"]))
        }
        XCTAssertGreaterThan(peaks[0], 0)
        XCTAssertLessThan(peaks[1] - peaks[0], 4096, "peak RSS \(peaks[0]) KiB for 500 frames, \(peaks[1]) KiB for 2,000")
    }
}
