import Foundation
import XCTest

/// Runs ffmpeg/ffprobe from the PATH (tests only).
func runTool(_ tool: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
}

/// ffprobe's view of a file's streams.
func probeStreams(_ path: String) throws -> [[String: Any]] {
    let r = try runTool("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                    "stream=codec_type,width,height,r_frame_rate,nb_read_frames,pix_fmt",
                                    "-of", "json", path])
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return json?["streams"] as? [[String: Any]] ?? []
}

final class ColorizeCLITests: XCTestCase {
    /// A 30-frame 12 fps clip with a cut (testsrc2 then smptebars) and a sine
    /// soundtrack: the output has the same size, frame count, rate, and audio.
    func testVideoKeepsSizeFramesRateAndAudio() throws {
        let dir = try scratchDirectory(self)
        let clip = dir + "/in.mp4"
        let make = try runTool("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=12:duration=1.5",
            "-f", "lavfi", "-i", "smptebars=size=160x120:rate=12:duration=1",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2.5",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=gray[v]",
            "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", clip,
        ])
        XCTAssertEqual(make.status, 0, make.stderr)
        let out = dir + "/out.mp4"
        let r = try runVcolor(["colorize", "--model", colorizeFixturePath("tiny-lstm.safetensors"), clip,
                               "--out", out, "--batch", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("30 frames of 160×120, 1 scene cut"), r.stdout)
        XCTAssertTrue(r.stderr.contains("frames/s"), "progress line: \(r.stderr)")
        let streams = try probeStreams(out)
        let video = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "video" })
        XCTAssertEqual(video["width"] as? Int, 160)
        XCTAssertEqual(video["height"] as? Int, 120)
        XCTAssertEqual(video["r_frame_rate"] as? String, "12/1")
        XCTAssertEqual(video["nb_read_frames"] as? String, "30")
        XCTAssertEqual(video["pix_fmt"] as? String, "yuv420p")
        XCTAssertNotNil(streams.first { $0["codec_type"] as? String == "audio" }, "audio copied from the input")
    }

    func testImageToImageAndVideoToDirectory() throws {
        let dir = try scratchDirectory(self)
        let r = try runVcolor(["colorize", "--model", colorizeFixturePath("tiny-none.safetensors"),
                               colorizeFixturePath("input/frame-2.png"), "--out", dir + "/one.png", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let streams = try probeStreams(dir + "/one.png")
        XCTAssertEqual(streams.first?["width"] as? Int, 144)
        XCTAssertEqual(streams.first?["height"] as? Int, 112)
    }

    func testFailuresAreOneLine() throws {
        let dir = try scratchDirectory(self)
        let model = colorizeFixturePath("tiny-lstm.safetensors")
        let text = dir + "/notes.mp4"
        try "not a video".write(toFile: text, atomically: true, encoding: .utf8)
        for arguments in [
            ["colorize", "--model", dir + "/missing.safetensors", colorizeFixturePath("input"), "--out", dir + "/o"],
            ["colorize", "--model", model, dir + "/missing.mp4", "--out", dir + "/o.mp4"],
            ["colorize", "--model", model, text, "--out", dir + "/o.mp4"],
            ["colorize", "--model", model, colorizeFixturePath("input"), "--out", dir + "/o.png"],
            ["colorize", "--model", model, colorizeFixturePath("input"), "--out", dir + "/o", "--batch", "0"],
            // Used to abort in a failed allocation.
            ["colorize", "--model", model, colorizeFixturePath("input"), "--out", dir + "/o", "--batch", "100000000000"],
            ["eval", "--model", model, "--data", dir, "--batch", "100000000000"],
            // Unwritable outputs (root may write anywhere but /proc).
            ["colorize", "--model", model, colorizeFixturePath("input/frame-2.png"), "--out", "/proc/o.png"],
            ["colorize", "--model", model, colorizeFixturePath("input"), "--out", "/proc/o.mp4"],
            ["colorize", "--model", model, colorizeFixturePath("input"), "--out", "/proc/frames"],
        ] {
            let r = try runVcolor(arguments)
            // 1 (our error) or 64 (a usage error): never a signal.
            XCTAssertTrue([1, 64].contains(r.status), "status \(r.status): " + arguments.joined(separator: " "))
            let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty && !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") }
            XCTAssertEqual(lines.count, 1, r.stderr)
        }
    }

    /// ffmpeg writes to a hidden temporary name: a failed run leaves an earlier
    /// output untouched and no half file; a good one replaces it and leaves nothing else.
    func testFailedEncodeKeepsTheOldOutputAndLeavesNoPartialFile() throws {
        let dir = try scratchDirectory(self)
        let model = colorizeFixturePath("tiny-none.safetensors")
        let out = dir + "/out.mp4"
        try "an earlier result".write(toFile: out, atomically: true, encoding: .utf8)
        let failed = try runVcolor(["colorize", "--model", model, colorizeFixturePath("input"), "--out", out,
                                    "--codec", "no-such-encoder", "--quiet"])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        // Found by the encoder check before the network pass (an encoder that dies
        // mid-video takes the same path: FrameWriter.finish removes the temporary).
        XCTAssertTrue(failed.stderr.contains("\(out): ffmpeg cannot write no-such-encoder video"), failed.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "an earlier result")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.mp4"])

        let image = dir + "/one.png"
        let good = try runVcolor(["colorize", "--model", model, colorizeFixturePath("input/frame-2.png"), "--out", image, "--quiet"])
        XCTAssertEqual(good.status, 0, good.stderr)
        let replaced = try runVcolor(["colorize", "--model", model, colorizeFixturePath("input"), "--out", out, "--quiet"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(try probeStreams(out).first?["codec_type"] as? String, "video")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["one.png", "out.mp4"])
    }
}
