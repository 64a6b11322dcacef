import Foundation
import TestSupport
import XCTest

/// What colorize keeps of a video besides its pictures (issue 25, causes 1, 2
/// and 6; issue 20's "streams and metadata kept"): every frame's timestamp,
/// the picture's orientation, subtitles, chapters and metadata. Each clip is
/// made by ffmpeg here and colourised by the built `vcolor`, as a user runs it.
final class StreamsKeptTests: XCTestCase {
    /// A 5 s clip whose rate changes twice — 30 frames at 30 fps, 30 at 10 fps,
    /// 30 at 30 fps — with a 5 s sine track. Its output has the same 90 frames
    /// at the same timestamps and ends with its sound, in MP4 and in Matroska:
    /// timestamps as ffmpeg's own stream copy into that container gives them
    /// (Matroska cannot start below zero, so there every stream moves by the
    /// AAC track's 21 ms of priming, picture and sound alike).
    func testVariableFrameRateKeepsEveryTimestamp() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/vfr.mp4"
        try SyntheticMedia.run([
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-filter_complex", "[0:v]trim=end_frame=90,format=gray,"
                + "setpts='if(lt(N,30),N/(30*TB),if(lt(N,60),1/TB+(N-30)/(10*TB),4/TB+(N-60)/(30*TB)))'[v]",
            "-map", "[v]", "-map", "1:a", "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-fps_mode", "passthrough", "-c:a", "aac", clip,
        ])
        let input = try videoTimes(clip)
        XCTAssertEqual(input.pts.count, 90, "the clip is made as intended")
        XCTAssertEqual(input.pts[59] - input.pts[58], 0.1, accuracy: 1e-9, "the clip is made as intended")
        XCTAssertEqual(try streamDuration(clip, "v"), 5, accuracy: 1e-9, "the clip is made as intended")
        for ext in ["mp4", "mkv"] {
            let copy = dir + "/copy." + ext, out = dir + "/out." + ext
            try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-i", clip, "-map", "0", "-c", "copy", copy])
            let reference = try videoTimes(copy)
            if ext == "mp4" { XCTAssertEqual(reference.pts, input.pts, "MP4 keeps the input's timestamps as they are") }
            let r = try colorize(clip, out)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("90 frames of 160×120"), r.stdout)
            let output = try videoTimes(out)
            let tick = output.tick
            XCTAssertEqual(output.pts.count, reference.pts.count, ext)
            for (i, (a, b)) in zip(reference.pts, output.pts).enumerated() where abs(a - b) > tick {
                XCTFail("\(ext): frame \(i) is at \(b) s, the input's at \(a) s")
                break
            }
            XCTAssertEqual(try streamDuration(out, "v"), try streamDuration(copy, "v"), accuracy: tick, ext)
            XCTAssertEqual(try streamDuration(out, "a"), try streamDuration(copy, "a"), accuracy: tick, "\(ext): the sound is copied")
            XCTAssertEqual(try streamDuration(out, "v"), try streamDuration(out, "a"), accuracy: 1024 / 48000,
                           "\(ext): picture and sound end together (within one AAC frame)")
        }
    }

    /// A phone clip: 160×120 stored, a display matrix turning it a quarter
    /// turn to show it 120×160. The output shows the same picture: stored
    /// upright, 120×160, without a matrix (so no player turns it again), its
    /// lightness that of the input as ffmpeg shows it.
    func testRotatedVideoComesOutUpright() throws {
        let dir = try makeScratchDirectory()
        let plain = dir + "/plain.mp4", clip = dir + "/phone.mp4"
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
                                "-frames:v", "10", "-vf", "format=gray", "-c:v", "libx264", "-preset", "ultrafast",
                                "-pix_fmt", "yuv420p", plain])
        // ffmpeg 5.1 (Debian 12) turns a stream's "rotate" tag into a display matrix.
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-i", plain, "-c", "copy",
                                "-metadata:s:v:0", "rotate=90", clip])
        XCTAssertNotNil(try displayRotation(clip), "the clip is made as intended")
        let shown = try greyFrame(clip, width: 120, height: 160)
        for ext in ["mp4", "mkv"] {
            let out = dir + "/out." + ext
            let r = try colorize(clip, out)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("10 frames of 120×160"), r.stdout)
            let video = try XCTUnwrap(try probe(out, ["-select_streams", "v:0", "-show_entries", "stream=width,height"])["streams"]?.first)
            XCTAssertEqual(video["width"] as? Int, 120, ext)
            XCTAssertEqual(video["height"] as? Int, 160, ext)
            XCTAssertNil(try displayRotation(out), "\(ext): the turn is applied, not left for a player to apply again")
            let frame = try greyFrame(out, width: 120, height: 160)
            XCTAssertEqual(frame.count, shown.count)
            let difference = zip(frame, shown).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / max(1, shown.count)
            XCTAssertLessThan(difference, 6, "\(ext): mean grey difference to the input as shown, per pixel")
        }
    }

    /// A clip with an SRT subtitle track (language fra), two chapters and a
    /// title, in MP4 (mov_text) and in Matroska (SubRip): every output keeps
    /// the cues' text, the track's language, the chapters and the title, each
    /// container holding the subtitles its own way. A container that cannot
    /// hold them (AVI) is refused before any work: one line that says so, a
    /// failed exit, and no output file.
    func testSubtitlesChaptersAndMetadataAreKept() throws {
        let dir = try makeScratchDirectory()
        let srt = dir + "/subs.srt", chapters = dir + "/chapters.txt"
        try "1\n00:00:00,100 --> 00:00:00,900\nPremier plan\n\n2\n00:00:01,000 --> 00:00:01,800\nSecond plan\n"
            .write(toFile: srt, atomically: true, encoding: .utf8)
        try ";FFMETADATA1\ntitle=Archive reel 7\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Opening\n"
            .appending("[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Street\n")
            .write(toFile: chapters, atomically: true, encoding: .utf8)
        for (ext, subtitleCodec) in [("mp4", "mov_text"), ("mkv", "srt")] {
            let clip = dir + "/in." + ext
            try SyntheticMedia.run([
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=2",
                "-i", srt, "-f", "ffmetadata", "-i", chapters,
                "-map", "0:v", "-map", "1:s", "-map_metadata", "2", "-map_chapters", "2",
                "-vf", "format=gray", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:s", subtitleCodec, "-metadata:s:s:0", "language=fra", clip,
            ])
            for outExt in ["mp4", "mkv"] {
                let out = dir + "/\(ext)-to." + outExt
                let r = try colorize(clip, out)
                XCTAssertEqual(r.status, 0, r.stderr)
                let what = "\(ext) → \(outExt)"
                let info = try probe(out, ["-show_entries", "stream=codec_type:stream_tags=language:format_tags=title",
                                           "-show_chapters"])
                let subtitles = (info["streams"] ?? []).filter { $0["codec_type"] as? String == "subtitle" }
                XCTAssertEqual(subtitles.count, 1, what)
                XCTAssertEqual((subtitles.first?["tags"] as? [String: Any])?["language"] as? String, "fra", what)
                let cues = try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", out, "-map", "0:s:0", "-f", "srt", "pipe:1"])
                let text = String(decoding: cues, as: UTF8.self)
                XCTAssertTrue(text.contains("Premier plan") && text.contains("Second plan"), "\(what): \(text)")
                XCTAssertTrue(text.contains("00:00:01,000 --> 00:00:01,800"), "\(what): cue times kept: \(text)")
                let titles = (info["chapters"] ?? []).compactMap { ($0["tags"] as? [String: Any])?["title"] as? String }
                XCTAssertEqual(titles, ["Opening", "Street"], what)
                let format = try probe(out, ["-show_entries", "format_tags=title"])
                XCTAssertEqual(((format["format"]?.first)?["tags"] as? [String: Any])?["title"] as? String, "Archive reel 7", what)
            }
        }
        let out = dir + "/no-room.avi"
        let r = try colorize(dir + "/in.mkv", out)
        XCTAssertNotEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderrLines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("subrip") && r.stderr.contains(".avi") && r.stderr.contains(".mkv"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("no-room") }, [],
                       "no temporary or chunk folder left either")
    }

    // MARK: - Helpers

    private func colorize(_ input: String, _ output: String) throws -> ProcessOutput {
        try runVcolor(["colorize", "--model", try colorizeFixture("tiny-lstm.safetensors"), input, "--out", output,
                       "--batch", "4", "--preset", "ultrafast"])
    }

    /// ffprobe's JSON for `path`, its top-level arrays by name (a dictionary
    /// such as "format" as a one-element array).
    private func probe(_ path: String, _ arguments: [String]) throws -> [String: [[String: Any]]] {
        let r = try runTool("ffprobe", ["-v", "error"] + arguments + ["-of", "json", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        var result: [String: [[String: Any]]] = [:]
        for (key, value) in json {
            if let list = value as? [[String: Any]] { result[key] = list } else if let one = value as? [String: Any] { result[key] = [one] }
        }
        return result
    }

    /// Every decoded frame's presentation time of the first video stream, in
    /// seconds, and its time base's tick.
    private func videoTimes(_ path: String) throws -> (pts: [Double], tick: Double) {
        let info = try probe(path, ["-select_streams", "v:0", "-show_entries", "stream=time_base:frame=pts"])
        let base = try XCTUnwrap(info["streams"]?.first?["time_base"] as? String).split(separator: "/").compactMap { Double($0) }
        XCTAssertEqual(base.count, 2)
        let tick = base[0] / base[1]
        let pts = try (info["frames"] ?? []).map { try XCTUnwrap($0["pts"] as? Int, "a frame without pts in \(path)") }
        return (pts.map { Double($0) * tick }, tick)
    }

    /// How long the first stream of `kind` ("v", "a") lasts: its own duration, or
    /// (Matroska states none) the container's DURATION tag of that stream.
    private func streamDuration(_ path: String, _ kind: String) throws -> Double {
        let info = try probe(path, ["-select_streams", kind + ":0", "-show_entries", "stream=duration:stream_tags=DURATION"])
        let stream = try XCTUnwrap(info["streams"]?.first, "no \(kind) stream in \(path)")
        if let seconds = (stream["duration"] as? String).flatMap(Double.init) { return seconds }
        // "00:00:05.000000000"
        let tag = try XCTUnwrap((stream["tags"] as? [String: Any])?["DURATION"] as? String, "no duration for \(kind) in \(path)")
        return tag.split(separator: ":").compactMap { Double($0) }.reduce(0) { $0 * 60 + $1 }
    }

    /// The rotation of the first video stream's display matrix, nil without one.
    private func displayRotation(_ path: String) throws -> Int? {
        let info = try probe(path, ["-select_streams", "v:0", "-show_entries", "stream_side_data"])
        let sides = info["streams"]?.first?["side_data_list"] as? [[String: Any]] ?? []
        return sides.first { $0["side_data_type"] as? String == "Display Matrix" }?["rotation"] as? Int
    }

    /// The first frame of `path` as a player shows it (display matrix applied), grey.
    private func greyFrame(_ path: String, width: Int, height: Int) throws -> [UInt8] {
        let data = try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", path, "-frames:v", "1",
                                           "-pix_fmt", "gray", "-f", "rawvideo", "pipe:1"])
        XCTAssertEqual(data.count, width * height, "\(path) shows a \(width)×\(height) picture")
        return [UInt8](data)
    }
}
