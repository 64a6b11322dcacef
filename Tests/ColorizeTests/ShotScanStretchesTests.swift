@testable import Colorize
import Foundation
import Media
import TestSupport
import XCTest

/// The plan's pass in stretches (`ShotScan+Stretches`): the parts of 2 and 3
/// ranks, each decoded from a seek, put together give exactly the plan of one
/// pass over the film (frame numbers, cuts, chunks' first frames and times),
/// with seams at and beside cuts, between frames, inside a gap in the
/// picture, on key frames and B-frames, at a variable frame rate, and in a
/// transport stream that cannot seek; and parts that do not fit are refused.
final class ShotScanStretchesTests: XCTestCase {
    private let modelSize = 128

    /// 120 frames at 25 fps of 10 shots, cuts at 20, 38, 40, 58, 60, 62, 79, 81
    /// and 100 (2-frame shots about 40, 60 and 80, where 3 ranks' and 2 ranks'
    /// seams fall), H.264 with 3 B-frames and a key frame every 30 frames, none
    /// at a cut: a seek lands on a key frame well before the seam.
    private func makeFilm(_ path: String) throws -> [Int] {
        let lengths = [20, 18, 2, 18, 2, 2, 17, 2, 19, 20]
        let sources = ["testsrc2", "mandelbrot", "smptebars", "rgbtestsrc", "cellauto=seed=1"]
        try SyntheticMedia.video(path, lengths.enumerated().map { .init(source: sources[$0.offset % sources.count], frames: $0.element) },
                                 codec: ["-c:v", "libx264", "-preset", "veryfast",
                                         "-x264-params", "keyint=30:min-keyint=30:scenecut=0:bframes=3:b-adapt=0"])
        return lengths.dropLast().reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1) }
    }

    /// 90 frames, cuts at 45 and 62: frames 0–29 at 30 fps, 30–59 at 10 fps
    /// (1–4 s), then no picture for 3 s while the sound goes on, then 60–89 at
    /// 30 fps from 7 s; the 30 fps frames jitter by up to 8 ms, so no two gaps
    /// are alike. H.264 with one key frame (the first), with a sine track.
    private func makeVariableFilm(_ path: String) throws -> [Int] {
        try SyntheticMedia.run([
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=30",
            "-f", "lavfi", "-i", "smptebars=size=160x120:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=9",
            "-filter_complex", "[0:v]trim=end_frame=45[a];[1:v]trim=end_frame=17,setpts=PTS-STARTPTS[b];"
                + "[2:v]trim=end_frame=28,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=1,format=yuv420p,"
                + "setpts='(if(lt(N,30),N/30,if(lt(N,60),1+(N-30)/10,7+(N-60)/30))+if(lt(N,30)+gte(N,60),mod(N*7,5)*0.002,0))/TB'[v]",
            "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-fps_mode", "passthrough",
            "-c:a", "aac", path,
        ])
        return [45, 62]
    }

    /// Chunks of 1 frame: every cut starts a chunk, so the plan holds every cut's time.
    private func serialPlan(_ path: String, chunkFrames: Int = 1) throws -> ChunkPlan {
        try ShotScan.plan(of: path, info: try MediaInfo.probe(path), modelSize: modelSize, chunkFrames: chunkFrames,
                          progress: nil, warn: { _ in })
    }

    /// The parts of `stretches`, scanned one after the other as the ranks would, put together;
    /// `seeks` gets where each part's decode began.
    private func splitPlan(_ path: String, _ stretches: [ShotScan.Stretch], chunkFrames: Int = 1, seeks: (([Double?]) -> Void)? = nil,
                           file: StaticString = #filePath, line: UInt = #line) throws -> ChunkPlan? {
        let info = try MediaInfo.probe(path)
        var counted = 0
        let parts = try stretches.map {
            try ShotScan.part(of: path, info: info, modelSize: modelSize, stretch: $0, progress: { counted += $0 })
        }
        seeks?(parts.map(\.seek))
        switch ShotScan.merge(parts, chunkFrames: chunkFrames) {
        case .success(let plan):
            XCTAssertEqual(counted, plan.frames, "every frame counted once for the progress line", file: file, line: line)
            return plan
        case .failure(let failure):
            XCTFail("\(path) in \(stretches): \(failure.reason)", file: file, line: line)
            return nil
        }
    }

    /// 2 and 3 ranks' equal stretches of `path` give `serial`; `seeks` checks where their decodes began.
    private func assertRanksGive(_ serial: ChunkPlan, _ path: String, seeks: (([Double?]) -> Void)? = nil) throws {
        let info = try MediaInfo.probe(path)
        for ranks in 2...3 {
            let stretches = try XCTUnwrap(ShotScan.stretches(of: info, ranks: ranks), path)
            XCTAssertEqual(stretches.count, ranks)
            XCTAssertEqual(try splitPlan(path, stretches, seeks: seeks), serial, "\(path) on \(ranks) ranks")
        }
    }

    private func remux(_ input: String, _ output: String) throws {
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-i", input, "-c", "copy", output])
    }

    /// Every frame's time, as the plan's pass reads them.
    private func frameTimes(_ path: String) throws -> [Int64] {
        let info = try MediaInfo.probe(path)
        let reader = try FrameReader(.file(path), width: info.width, height: info.height, timestamps: true)
        var times: [Int64] = []
        while reader.next() != nil { times.append(try reader.timestamps!.nanoseconds(of: times.count)!) }
        try reader.finishOrThrow()
        return times
    }

    /// 2 and 3 equal stretches, then two stretches cut at each frame about
    /// three cuts (at its exact time, so the seam's frame opens the second
    /// stretch) and twice between frames: always the serial plan.
    func testStretchesGiveTheSerialPlanWithSeamsAtAndBesideCuts() throws {
        let dir = try makeScratchDirectory()
        let mp4 = dir + "/film.mp4", mkv = dir + "/film.mkv"
        let cuts = try makeFilm(mp4)
        try remux(mp4, mkv)
        for path in [mp4, mkv] {
            let serial = try serialPlan(path)
            XCTAssertEqual(serial.frames, 120, path)
            XCTAssertEqual(serial.cuts, cuts, "\(path): the detector finds every cut, the 2-frame shots' too")
            XCTAssertEqual(serial.chunks.count, cuts.count + 1)
            try assertRanksGive(serial, path) { seeks in
                XCTAssertNil(seeks[0])
                for seek in seeks.dropFirst() { XCTAssertGreaterThan(seek ?? 0, 0, "\(path): the later stretches are decoded from a seek") }
            }
        }
        let times = try frameTimes(mp4)
        XCTAssertEqual(times.count, 120)
        let serial = try serialPlan(mp4)
        var bounds = [39, 40, 41, 59, 60, 61, 62, 79, 80, 81].map { times[$0] }
        bounds += [times[60] - 1, times[80] + 20_000_000]
        for bound in bounds {
            XCTAssertEqual(try splitPlan(mp4, [.init(from: nil, to: bound), .init(from: bound, to: nil)]), serial, "seam at \(bound) ns")
        }
        XCTAssertEqual(try splitPlan(mp4, [.init(from: nil, to: times[40]), .init(from: times[40], to: times[41]),
                                           .init(from: times[41], to: nil)]), serial, "a stretch of one frame")
        XCTAssertEqual(try splitPlan(mp4, [.init(from: nil, to: times[60] + 1), .init(from: times[60] + 1, to: times[60] + 2),
                                           .init(from: times[60] + 2, to: nil)]), serial, "a stretch of no frame")
    }

    /// A variable frame rate with uneven gaps and 3 s without a picture, in
    /// MP4 and as a transport stream (one key frame, so a seek there finds
    /// nothing and the stretch is decoded from the start): seams in the
    /// 10 fps stretch by the cut, inside the gap, and the equal stretches.
    func testStretchesGiveTheSerialPlanAtAVariableFrameRateAndAcrossAGap() throws {
        let dir = try makeScratchDirectory()
        let mp4 = dir + "/vfr.mp4", ts = dir + "/vfr.ts"
        let cuts = try makeVariableFilm(mp4)
        try remux(mp4, ts)
        for path in [mp4, ts] {
            let serial = try serialPlan(path)
            XCTAssertEqual(serial.frames, 90, path)
            XCTAssertEqual(serial.cuts, cuts, path)
            let times = try frameTimes(path)
            XCTAssertGreaterThan(times[60] - times[59], 2_900_000_000, "\(path): the gap in the picture is there")
            try assertRanksGive(serial, path)
            for bound in [times[45], times[46], times[44] + 1, times[59] + 1_500_000_000, times[60], times[62]] {
                XCTAssertEqual(try splitPlan(path, [.init(from: nil, to: bound), .init(from: bound, to: nil)], seeks: { seeks in
                    // In the gap a second back has no frame, ten seconds back is before the start; a transport stream seeks to nothing.
                    if path == ts || bound == times[59] + 1_500_000_000 { XCTAssertNil(seeks[1], "\(path): decoded from the start") }
                }), serial, "\(path): seam at \(bound) ns")
            }
        }
    }

    /// Parts whose seams do not fit, or whose times went back, are refused
    /// (rank 0 then scans alone); fitting parts are numbered on from each other.
    /// A later stretch whose decode fails does not end the team: its part
    /// says why, and the merge refuses it, so rank 0 scans alone.
    func testAStretchWhoseDecodeFailsIsAFailedPartNotAThrow() throws {
        let dir = try makeScratchDirectory()
        let path = dir + "/film.mkv"
        _ = try makeFilm(path)
        let info = try MediaInfo.probe(path)
        let stretches = try XCTUnwrap(ShotScan.stretches(of: info, ranks: 2))
        let gone = dir + "/gone.mkv"
        XCTAssertThrowsError(try ShotScan.part(of: gone, info: info, modelSize: modelSize, stretch: stretches[0], progress: { _ in }))
        let part = try ShotScan.part(of: gone, info: info, modelSize: modelSize, stretch: stretches[1], progress: { _ in })
        XCTAssertNotNil(part.failure)
        XCTAssertTrue(part.failure?.contains("gone.mkv") == true, part.failure ?? "no failure")
    }

    func testPartsThatDoNotFitAreRefused() {
        func sample(_ ns: Int64, _ digest: String = "a") -> ShotScan.Sample { .init(nanoseconds: ns, digest: digest) }
        var first = ShotScan.Part(frames: 10, firstNanoseconds: 0, cuts: [4], cutNanoseconds: [40],
                                  tail: [sample(80), sample(90), sample(100)])
        var second = ShotScan.Part(frames: 5, firstNanoseconds: 100, cuts: [0, 3], cutNanoseconds: [100, 130],
                                   head: [sample(80), sample(90), sample(100)], tail: [sample(130), sample(140)])
        guard case .success(let plan) = ShotScan.merge([first, second], chunkFrames: 1) else { return XCTFail("the parts fit") }
        XCTAssertEqual(plan, ChunkPlan(frames: 15, cuts: [4, 10, 13], chunkFrames: 1) { [0: 0, 4: 40, 10: 100, 13: 130][$0]! })
        second.head[1] = sample(90, "b")
        guard case .failure(let mismatch) = ShotScan.merge([first, second], chunkFrames: 1) else { return XCTFail("a frame differs") }
        XCTAssertTrue(mismatch.reason.contains("stretches 1 and 2"), mismatch.reason)
        second.head = [sample(90), sample(100)]
        guard case .failure = ShotScan.merge([first, second], chunkFrames: 1) else { return XCTFail("a frame is missing") }
        second.head = first.tail
        first.failure = "frame times do not increase (90 ns, then 90 ns)"
        guard case .failure(let back) = ShotScan.merge([first, second], chunkFrames: 1) else { return XCTFail("times went back") }
        XCTAssertTrue(back.reason.hasPrefix("stretch 1: frame times"), back.reason)
    }
}
