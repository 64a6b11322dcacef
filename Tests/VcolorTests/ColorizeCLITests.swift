import Foundation
import TestSupport
import XCTest

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
        let dir = try makeScratchDirectory()
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
        let r = try runVcolor(["colorize", "--model", colorizeFixture("tiny-lstm.safetensors"), clip,
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

    /// Without --model, colorize uses the generator that ships in models/ and
    /// says so; a vcolor copied away from its models says what to give instead.
    func testShippedModelIsTheDefault() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/in.mp4"
        let make = try runTool("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1", "-vf", "format=gray",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", clip,
        ])
        XCTAssertEqual(make.status, 0, make.stderr)
        let out = dir + "/out.mp4"
        let r = try runVcolor(["colorize", clip, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("no --model given: using the shipped model"), r.stderr)
        XCTAssertTrue(r.stderr.contains("models/vcolor-b16-lstm.safetensors"), r.stderr)
        XCTAssertTrue(r.stdout.contains("10 frames of 96×64"), r.stdout)
        let streams = try probeStreams(out)
        XCTAssertEqual(streams.first { $0["codec_type"] as? String == "video" }?["nb_read_frames"] as? String, "10")

        let lonely = dir + "/bin/vcolor"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: vcolorBinary().path, toPath: lonely)
        let missing = try runProcess(URL(fileURLWithPath: lonely), ["colorize", clip, "--out", dir + "/other.mp4"],
                                     environment: environmentWithoutMPI())
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no --model given and the shipped model vcolor-b16-lstm.safetensors is not next to this vcolor"),
                      missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/other.mp4"))
    }

    /// ffprobe's codec, size, aspect, rate and duration of every stream.
    func describeStreams(_ path: String) throws -> [[String: Any]] {
        let r = try runTool("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                        "stream=codec_type,codec_name,width,height,pix_fmt,sample_aspect_ratio,"
                                          + "r_frame_rate,nb_read_frames,sample_rate,channels,duration",
                                        "-of", "json", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return json?["streams"] as? [[String: Any]] ?? []
    }

    func testImageToImageAndVideoToDirectory() throws {
        let dir = try makeScratchDirectory()
        let r = try runVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"),
                               colorizeFixture("input/frame-2.png"), "--out", dir + "/one.png", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let streams = try probeStreams(dir + "/one.png")
        XCTAssertEqual(streams.first?["width"] as? Int, 144)
        XCTAssertEqual(streams.first?["height"] as? Int, 112)

        // A 7-frame clip to a folder: one PNG per frame, numbered from 1, at the clip's size.
        let clip = dir + "/clip.mp4"
        let make = try runTool("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=144x112:rate=10",
                                          "-frames:v", "7", "-vf", "format=gray", "-c:v", "libx264", "-pix_fmt", "yuv420p", clip])
        XCTAssertEqual(make.status, 0, make.stderr)
        let frames = dir + "/frames"
        let v = try runVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"), clip,
                               "--out", frames, "--quiet"])
        XCTAssertEqual(v.status, 0, v.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: frames).sorted()
        XCTAssertEqual(names, (1...7).map { String(format: "frame-%06d.png", $0) })
        for name in [names.first, names.last].compactMap({ $0 }) {
            let png = try describeStreams(frames + "/" + name)
            XCTAssertEqual(png.first?["codec_name"] as? String, "png", name)
            XCTAssertEqual(png.first?["width"] as? Int, 144, name)
            XCTAssertEqual(png.first?["height"] as? Int, 112, name)
        }
    }

    /// What colorize carries over from the input: an odd frame size (encoded
    /// yuv444p, which H.264 allows at odd sizes), the sample aspect ratio, the
    /// frame rate and count, and the audio: copied into Matroska (same codec,
    /// sample rate, duration), re-encoded to AAC where MP4 cannot hold PCM; and
    /// the same clip to a folder of PNGs at its odd size.
    func testMediaPassthroughAudioAspectOddSizes() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/in.mkv"
        let make = try runTool("ffmpeg", [
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=12:duration=1",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=1",
            "-vf", "scale=161:121,format=gray,setsar=4/3", "-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "pcm_s16le", clip,
        ])
        XCTAssertEqual(make.status, 0, make.stderr)
        let input = try describeStreams(clip)
        let inputAudio = try XCTUnwrap(input.first { $0["codec_type"] as? String == "audio" })
        XCTAssertEqual(inputAudio["codec_name"] as? String, "pcm_s16le")
        let inputVideo = try XCTUnwrap(input.first { $0["codec_type"] as? String == "video" })
        XCTAssertEqual(inputVideo["width"] as? Int, 161, "the test clip itself")
        XCTAssertEqual(inputVideo["sample_aspect_ratio"] as? String, "4:3", "the test clip itself")
        let model = colorizeFixture("tiny-none.safetensors")

        func checkVideo(_ streams: [[String: Any]], _ name: String) throws {
            let video = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "video" }, name)
            XCTAssertEqual(video["width"] as? Int, 161, name)
            XCTAssertEqual(video["height"] as? Int, 121, name)
            XCTAssertEqual(video["pix_fmt"] as? String, "yuv444p", name)
            XCTAssertEqual(video["sample_aspect_ratio"] as? String, "4:3", name)
            XCTAssertEqual(video["r_frame_rate"] as? String, "12/1", name)
            XCTAssertEqual(video["nb_read_frames"] as? String, "12", name)
        }
        func duration(_ stream: [String: Any]) -> Double { Double(stream["duration"] as? String ?? "") ?? -1 }

        let mkv = dir + "/out.mkv"
        let r1 = try runVcolor(["colorize", "--model", model, clip, "--out", mkv, "--quiet"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let copied = try describeStreams(mkv)
        try checkVideo(copied, "mkv")
        let audio = try XCTUnwrap(copied.first { $0["codec_type"] as? String == "audio" }, "audio copied")
        XCTAssertEqual(audio["codec_name"] as? String, "pcm_s16le")
        XCTAssertEqual(audio["sample_rate"] as? String, "22050")
        XCTAssertEqual(audio["channels"] as? Int, inputAudio["channels"] as? Int)
        // Matroska stores no per-stream duration; the container's is checked through the audio's own.
        let audioSeconds = try audioDuration(mkv), inputSeconds = try audioDuration(clip)
        XCTAssertEqual(audioSeconds, inputSeconds, accuracy: 0.01)
        XCTAssertEqual(inputSeconds, 1, accuracy: 0.05)

        let mp4 = dir + "/out.mp4"
        let r2 = try runVcolor(["colorize", "--model", model, clip, "--out", mp4, "--quiet"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let transcoded = try describeStreams(mp4)
        try checkVideo(transcoded, "mp4")
        let aac = try XCTUnwrap(transcoded.first { $0["codec_type"] as? String == "audio" }, "audio re-encoded")
        XCTAssertEqual(aac["codec_name"] as? String, "aac")
        XCTAssertEqual(aac["sample_rate"] as? String, "22050")
        XCTAssertEqual(duration(aac), inputSeconds, accuracy: 0.1)

        let folder = dir + "/frames"
        let r3 = try runVcolor(["colorize", "--model", model, clip, "--out", folder, "--quiet"])
        XCTAssertEqual(r3.status, 0, r3.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(names.count, 12)
        let png = try describeStreams(folder + "/" + (names.last ?? ""))
        XCTAssertEqual(png.first?["width"] as? Int, 161)
        XCTAssertEqual(png.first?["height"] as? Int, 121)
    }

    /// The duration of a file's first audio stream, by decoding it.
    func audioDuration(_ path: String) throws -> Double {
        let r = try runTool("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pts_time,duration_time",
                                        "-of", "csv=p=0", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        var end = 0.0
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: ",").compactMap { Double($0) }
            if parts.count == 2 { end = max(end, parts[0] + parts[1]) }
        }
        return end
    }

    func testFailuresAreOneLine() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-lstm.safetensors")
        let text = dir + "/notes.mp4"
        try "not a video".write(toFile: text, atomically: true, encoding: .utf8)
        for arguments in [
            ["colorize", "--model", dir + "/missing.safetensors", colorizeFixture("input"), "--out", dir + "/o"],
            ["colorize", "--model", model, dir + "/missing.mp4", "--out", dir + "/o.mp4"],
            ["colorize", "--model", model, text, "--out", dir + "/o.mp4"],
            ["colorize", "--model", model, colorizeFixture("input"), "--out", dir + "/o.png"],
            ["colorize", "--model", model, colorizeFixture("input"), "--out", dir + "/o", "--batch", "0"],
            // Used to abort in a failed allocation.
            ["colorize", "--model", model, colorizeFixture("input"), "--out", dir + "/o", "--batch", "100000000000"],
            ["eval", "--model", model, "--data", dir, "--batch", "100000000000"],
            // Unwritable outputs (root may write anywhere but /proc).
            ["colorize", "--model", model, colorizeFixture("input/frame-2.png"), "--out", "/proc/o.png"],
            ["colorize", "--model", model, colorizeFixture("input"), "--out", "/proc/o.mp4"],
            ["colorize", "--model", model, colorizeFixture("input"), "--out", "/proc/frames"],
        ] {
            let r = try runVcolor(arguments)
            // 1 (our error) or 64 (a usage error): never a signal.
            XCTAssertTrue([1, 64].contains(r.status), "status \(r.status): " + arguments.joined(separator: " "))
            XCTAssertNil(oneLineErrorProblem(r), arguments.joined(separator: " "))
        }
    }

    /// ffmpeg writes to a hidden temporary name: a failed run leaves an earlier
    /// output untouched and no half file; a good one replaces it and leaves nothing else.
    func testFailedEncodeKeepsTheOldOutputAndLeavesNoPartialFile() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        let out = dir + "/out.mp4"
        try "an earlier result".write(toFile: out, atomically: true, encoding: .utf8)
        let failed = try runVcolor(["colorize", "--model", model, colorizeFixture("input"), "--out", out,
                                    "--codec", "no-such-encoder", "--quiet"])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        // Found by the encoder check before the network pass (an encoder that dies
        // mid-video takes the same path: FrameWriter.finish removes the temporary).
        XCTAssertTrue(failed.stderr.contains("\(out): ffmpeg cannot write no-such-encoder video"), failed.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "an earlier result")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.mp4"])

        let image = dir + "/one.png"
        let good = try runVcolor(["colorize", "--model", model, colorizeFixture("input/frame-2.png"), "--out", image, "--quiet"])
        XCTAssertEqual(good.status, 0, good.stderr)
        let replaced = try runVcolor(["colorize", "--model", model, colorizeFixture("input"), "--out", out, "--quiet"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(try probeStreams(out).first?["codec_type"] as? String, "video")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["one.png", "out.mp4"])
    }
}
