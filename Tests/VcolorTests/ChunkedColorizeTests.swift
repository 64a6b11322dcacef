import Foundation
import TestSupport
import XCTest

/// Issue 20: a video colourised in chunks of whole shots, by one process or
/// by the ranks of an MPI job, and resumed after a kill. Every output is
/// compared with the one-chunk run (a single pass over the film: no seek, no
/// join of parts) through a lossless codec (FFV1 in Matroska), so its decoded
/// frames must be identical, not close: frames, timestamps, audio,
/// subtitles, chapters and metadata.
final class ChunkedColorizeTests: XCTestCase {
    /// 4 shots of 12 frames (cuts at 12, 24, 36), 64×48 at 25 fps, FFV1, with
    /// a sine track, a French SubRip track, two chapters and a title.
    private func makeClip(in dir: String) throws -> String {
        let video = dir + "/video.mkv", clip = dir + "/clip.mkv"
        try SyntheticMedia.video(video, ["testsrc2", "mandelbrot", "smptebars", "rgbtestsrc"].map { .init(source: $0, frames: 12) },
                                 size: "64x48", codec: ["-c:v", "ffv1"])
        try "1\n00:00:00,100 --> 00:00:00,700\nPremier plan\n\n2\n00:00:01,000 --> 00:00:01,600\nSecond plan\n"
            .write(toFile: dir + "/subs.srt", atomically: true, encoding: .utf8)
        try ";FFMETADATA1\ntitle=Archive reel 9\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=960\ntitle=Opening\n"
            .appending("[CHAPTER]\nTIMEBASE=1/1000\nSTART=960\nEND=1920\ntitle=Street\n")
            .write(toFile: dir + "/chapters.txt", atomically: true, encoding: .utf8)
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-i", video,
                                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.92",
                                "-i", dir + "/subs.srt", "-f", "ffmetadata", "-i", dir + "/chapters.txt",
                                "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_metadata", "3", "-map_chapters", "3",
                                "-c:v", "copy", "-c:a", "flac", "-c:s", "srt", "-metadata:s:s:0", "language=fra", clip])
        return clip
    }

    private func arguments(_ input: String, _ output: String, _ extra: [String] = []) throws -> [String] {
        ["colorize", "--model", try colorizeFixture("tiny-lstm.safetensors"), input, "--out", output,
         "--batch", "5", "--codec", "ffv1", "--quiet"] + extra
    }

    /// 1 chunk, 4 chunks on 1 rank, 4 chunks on 2 ranks: the same file but for the encoder's own tags.
    func testChunksAndRanksGiveTheSinglePassOutput() throws {
        let dir = try makeScratchDirectory()
        let clip = try makeClip(in: dir)
        let single = dir + "/single.mkv", chunked = dir + "/chunked.mkv", ranks = dir + "/ranks.mkv"
        let one = try runVcolor(try arguments(clip, single, ["--chunk-frames", "1000"]))
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("48 frames of 64×48, 3 scene cuts, 1 chunk,"), one.stdout)
        let four = try runVcolor(try arguments(clip, chunked, ["--chunk-frames", "10"]))
        XCTAssertEqual(four.status, 0, four.stderr)
        XCTAssertTrue(four.stdout.contains("48 frames of 64×48, 3 scene cuts, 4 chunks,"), four.stdout)
        let reference = try Rendition(single)
        XCTAssertEqual(reference.pts, try Rendition(clip).pts, "the single pass keeps every timestamp")
        XCTAssertEqual(reference.frameCount, 48)
        XCTAssertEqual(try Rendition(chunked), reference, "4 chunks on one rank")
        guard mpirun() != nil else { throw XCTSkip("mpirun is not on PATH") }
        let two = try runUnderMPI(ranks: 2, try arguments(clip, ranks, ["--chunk-frames", "10"]), timeout: 300)
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.stdout.contains("4 chunks on 2 ranks"), two.stdout)
        XCTAssertEqual(try Rendition(ranks), reference, "4 chunks on two ranks")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("parts") || $0.hasPrefix(".") }, [],
                       "no work folder, temporary or lock is left")
    }

    /// A run killed (SIGKILL) after its second chunk leaves two finished
    /// chunks; the same command is refused without --resume and with another
    /// option, and with --resume colourises only the two others and gives the
    /// uninterrupted run's output. The same on two ranks, rank 1 killed after
    /// its first chunk (mpirun then kills rank 0, wherever it is).
    func testKilledRunResumesToTheSameOutput() throws {
        let dir = try makeScratchDirectory()
        let clip = try makeClip(in: dir)
        let whole = dir + "/whole.mkv", out = dir + "/out.mkv", parts = out + ".parts"
        let r = try runVcolor(try arguments(clip, whole, ["--chunk-frames", "10"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        let reference = try Rendition(whole)

        let killed = try runVcolor(try arguments(clip, out, ["--chunk-frames", "10", "--kill-after-chunks", "2"]))
        XCTAssertEqual(killed.status, SIGKILL, killed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try finishedChunks(parts), ["chunk-000000.mkv", "chunk-000001.mkv"])

        let again = try runVcolor(try arguments(clip, out, ["--chunk-frames", "10"]))
        XCTAssertEqual(again.status, 1, again.stderr)
        XCTAssertNil(oneLineErrorProblem(again), again.stderr)
        XCTAssertTrue(again.stderr.contains("2 of 4 chunks finished") && again.stderr.contains("add --resume"), again.stderr)
        let other = try runVcolor(try arguments(clip, out, ["--chunk-frames", "10", "--batch", "3", "--resume"]))
        XCTAssertEqual(other.status, 1, other.stderr)
        XCTAssertNil(oneLineErrorProblem(other), other.stderr)
        XCTAssertTrue(other.stderr.contains("another --batch (5 then, 3 now)"), other.stderr)
        XCTAssertEqual(try finishedChunks(parts).count, 2, "a refused run leaves the finished chunks alone")

        let resumed = try runVcolor(try arguments(clip, out, ["--chunk-frames", "10", "--resume"]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("4 chunks (2 from an earlier run)"), resumed.stdout)
        XCTAssertEqual(try Rendition(out), reference, "resumed on one rank")
        XCTAssertFalse(FileManager.default.fileExists(atPath: parts), "the work folder goes when the output is in place")

        guard mpirun() != nil else { throw XCTSkip("mpirun is not on PATH") }
        let ranks = dir + "/ranks.mkv"
        let dead = try runUnderMPI(ranks: 2, try arguments(clip, ranks, ["--chunk-frames", "10", "--kill-rank", "1", "--kill-after-chunks", "1"]),
                                   timeout: 300)
        XCTAssertNotEqual(dead.status, 0, dead.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ranks))
        let before = try finishedChunks(ranks + ".parts")
        XCTAssertFalse(before.isEmpty, "rank 1's first chunk was finished before it died")
        let rerun = try runUnderMPI(ranks: 2, try arguments(clip, ranks, ["--chunk-frames", "10", "--resume"]), timeout: 300)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("4 chunks (\(before.count) from an earlier run) on 2 ranks"), "\(before): \(rerun.stdout)")
        XCTAssertEqual(try Rendition(ranks), reference, "resumed on two ranks")
    }

    /// A clip whose rate changes (30, 10, then 30 fps) with a cut at frame 45,
    /// inside the 10 fps stretch, in MP4 and as MPEG-TS (which starts at 1.4 s,
    /// and whose one key frame is the first: seeking there finds nothing, so
    /// the second chunk is decoded from the start). In two chunks every frame
    /// keeps the time it has in one chunk, and picture and sound start where
    /// the input's do (1.421 s and 1.4 s in the transport stream): the join
    /// gives a chunk the exact gap to the next one's first frame, not the
    /// encoder's guess for its last frame, and starts where the first frame is.
    func testVariableFrameRateAndAStartOffsetSurviveTheJoin() throws {
        let dir = try makeScratchDirectory()
        let mp4 = dir + "/vfr.mp4", ts = dir + "/vfr.ts"
        try SyntheticMedia.run([
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30",
            "-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-filter_complex", "[0:v]trim=end_frame=45[a];[1:v]trim=end_frame=45,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1,format=gray,"
                + "setpts='if(lt(N,30),N/(30*TB),if(lt(N,60),1/TB+(N-30)/(10*TB),4/TB+(N-60)/(30*TB)))'[v]",
            "-map", "[v]", "-map", "2:a", "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-fps_mode", "passthrough", "-c:a", "aac", mp4,
        ])
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-i", mp4, "-c", "copy", ts])
        /// The video's and the audio's start (JSON: a transport stream's CSV lists its streams twice, once per program).
        func starts(_ path: String) throws -> [Double] {
            let p = try runTool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,start_time", "-of", "json", path])
            XCTAssertEqual(p.status, 0, p.stderr)
            let streams = (try JSONSerialization.jsonObject(with: p.stdoutData) as? [String: Any])?["streams"] as? [[String: Any]] ?? []
            return ["video", "audio"].compactMap { kind in
                (streams.first { $0["codec_type"] as? String == kind }?["start_time"] as? String).flatMap(Double.init)
            }
        }
        for input in [mp4, ts] {
            let original = try starts(input)
            XCTAssertEqual(original.count, 2, "the clip is made as intended")
            var outputs: [(pts: [String], starts: [String])] = []
            for (frames, chunks) in [(1000, "1 chunk,"), (10, "2 chunks,")] {
                let out = dir + "/out-\(frames).mp4"
                let r = try runVcolor(["colorize", "--model", try colorizeFixture("tiny-lstm.safetensors"), input, "--out", out,
                                       "--preset", "ultrafast", "--quiet", "--chunk-frames", "\(frames)"])
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertTrue(r.stdout.contains("90 frames of 160×120, 1 scene cut, \(chunks)"), r.stdout)
                func probe(_ arguments: [String]) throws -> [String] {
                    let p = try runTool("ffprobe", ["-v", "error"] + arguments + ["-of", "csv=p=0", out])
                    XCTAssertEqual(p.status, 0, p.stderr)
                    return p.stdout.split(separator: "\n").map { String($0.split(separator: ",")[0]) }
                }
                outputs.append((try probe(["-select_streams", "v:0", "-show_entries", "frame=pts"]),
                                try probe(["-show_entries", "stream=start_time"])))
                let kept = try starts(out)
                XCTAssertEqual(kept.count, 2, out)
                for (a, b) in zip(original, kept) {
                    XCTAssertEqual(a, b, accuracy: 0.002, "\(input) → \(chunks) picture and sound start where the input's do: \(original) → \(kept)")
                }
            }
            XCTAssertEqual(outputs[0].pts.count, 90, input)
            XCTAssertEqual(outputs[1].pts, outputs[0].pts, "\(input): every frame at its time")
            XCTAssertEqual(outputs[1].starts, outputs[0].starts, "\(input): every stream starts where it did")
        }
    }

    private func finishedChunks(_ parts: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: parts).filter { $0.hasPrefix("chunk-") }.sorted()
    }
}

/// What a colourised video is, as a viewer gets it: every frame's pixels
/// and time, the audio's samples, the subtitles' cues, the chapters, the
/// title. Not compared: the encoder's own tags and the container's layout.
private struct Rendition: Equatable {
    var frameCount: Int
    var pixels: Data
    var pts: [Int]
    var streams: [String]
    var audio: Data
    var subtitles: String
    var chapters: [String]
    var title: String?

    init(_ path: String) throws {
        pixels = try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                                         "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
        frameCount = pixels.count / (64 * 48 * 3)
        let info = try Self.probe(path, ["-show_entries", "frame=pts:stream=index,codec_type,codec_name:stream_tags=language"
                                         + ":format_tags=title:chapter_tags=title", "-show_chapters"])
        pts = ((info["frames"] as? [[String: Any]]) ?? []).compactMap { $0["pts"] as? Int }
        streams = ((info["streams"] as? [[String: Any]]) ?? []).map { s in
            "\(s["codec_type"] ?? "?") \(s["codec_name"] ?? "?") \((s["tags"] as? [String: Any])?["language"] ?? "-")"
        }
        audio = try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0", "-f", "s16le", "pipe:1"])
        subtitles = String(decoding: try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:s:0", "-f", "srt", "pipe:1"]),
                           as: UTF8.self)
        chapters = ((info["chapters"] as? [[String: Any]]) ?? []).map { c in
            "\(c["start_time"] ?? "?")–\(c["end_time"] ?? "?") \((c["tags"] as? [String: Any])?["title"] ?? "?")"
        }
        title = ((info["format"] as? [String: Any])?["tags"] as? [String: Any])?["title"] as? String
    }

    private static func probe(_ path: String, _ arguments: [String]) throws -> [String: Any] {
        let r = try runTool("ffprobe", ["-v", "error", "-select_streams", "v:0"] + arguments + ["-of", "json", path])
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any] else {
            throw NSError(domain: "ffprobe", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
        // Streams of every kind: probed again without the video-only selection.
        let all = try runTool("ffprobe", ["-v", "error", "-show_entries", "stream=index,codec_type,codec_name:stream_tags=language",
                                          "-of", "json", path])
        var result = json
        result["streams"] = (try JSONSerialization.jsonObject(with: all.stdoutData) as? [String: Any])?["streams"]
        return result
    }
}
