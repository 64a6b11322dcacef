import Foundation
import HDF5Kit
import TestSupport
import Media
import XCTest
@testable import DataPrep
@testable import Imaging

/// `Prep` end to end, in process, on synthetic videos with cuts at known frames.
final class PrepTests: SharedMediaTestCase {
    /// A: testsrc2 30 + mandelbrot 30 (landscape, cut at 30).
    /// B: smptebars 20 + cellauto 25 (portrait, cut at 20).
    /// C: a folder of 10 PNG frames (an image sequence).
    /// D: testsrc2 30 + smptebars 5 + mandelbrot 30 (the 5-frame shot is too short).
    override class func makeMedia() throws {
        try SyntheticMedia.video(media + "/a.mp4", [.init(source: "testsrc2", frames: 30), .init(source: "mandelbrot", frames: 30)])
        try SyntheticMedia.video(media + "/b.mp4", [.init(source: "smptebars", frames: 20), .init(source: "cellauto=seed=1", frames: 25)], size: "96x128")
        try SyntheticMedia.images(media + "/c", source: "mandelbrot", count: 10)
        try SyntheticMedia.video(media + "/d.mkv", [.init(source: "testsrc2", frames: 30), .init(source: "smptebars", frames: 5),
                                                     .init(source: "mandelbrot", frames: 30)])
    }

    func options(_ inputs: [String]) -> PrepOptions {
        var o = PrepOptions(inputs: inputs.map { Self.media + "/" + $0 }, output: out)
        o.progress = false
        o.workers = 2
        return o
    }

    func testCutsAtExactFramesAndIndexContents() throws {
        var o = options(["a.mp4", "b.mp4", "c", "d.mkv"])
        o.valFraction = 0.5
        o.seed = 7
        let summary = try Prep.run(o)
        XCTAssertTrue(summary.complete)
        XCTAssertEqual(summary.skipped, [])
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.height, 128)
        XCTAssertEqual(index.sources.map(\.name), ["a.mp4", "b.mp4", "c", "d.mkv"])
        XCTAssertEqual(index.sources.map(\.frames), [60, 45, 10, 65])
        XCTAssertEqual(index.sources.map(\.cuts), [1, 1, 0, 2])
        XCTAssertEqual(index.sources.map(\.droppedShort), [0, 0, 0, 1])
        XCTAssertEqual(index.sources.map(\.kind), ["video", "video", "image_sequence", "video"])
        let layout = index.sequences.map { "\($0.source)@\($0.firstFrame)+\($0.frames)" }
        XCTAssertEqual(layout, ["a.mp4@0+30", "a.mp4@30+30", "b.mp4@0+20", "b.mp4@20+25", "c@0+10", "d.mkv@0+30", "d.mkv@35+30"])
        XCTAssertEqual(index.sequences.map(\.id), ["00000-0000", "00000-0001", "00001-0000", "00001-0001", "00002-0000", "00003-0000", "00003-0001"])
        // Split by source: 2 of 4 sources held out, every sequence follows its source.
        XCTAssertEqual(index.sources.filter { $0.split == "val" }.count, 2)
        for sequence in index.sequences {
            XCTAssertEqual(sequence.split, index.sources.first { $0.path == sequence.sourcePath }?.split)
        }
        XCTAssertEqual(summary.sequences, 7)
        XCTAssertEqual(summary.frames, 60 + 45 + 10 + 60)
        XCTAssertEqual(summary.cuts, 4)
        XCTAssertEqual(summary.droppedShort, 1)
        // Shards listed with their sequences; all sequences present.
        XCTAssertEqual(Set(index.shards.flatMap(\.sequences)), Set(index.sequences.map(\.id)))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out).contains { $0.hasSuffix(".partial") })
    }

    func testShardLayoutAttributesAndPixels() throws {
        _ = try Prep.run(options(["b.mp4"]))
        let index = try DatasetIndex.load(out)
        let sequence = index.sequences[0]
        let file = try HDF5File.open(out + "/" + sequence.shard)
        XCTAssertEqual(try file.root.stringAttribute("format"), "vcolor-shard")
        XCTAssertEqual(try file.root.intAttribute("version"), 1)
        XCTAssertEqual(try file.root.intAttribute("height"), 128)
        XCTAssertEqual(try file.root.intAttribute("width"), 128)
        XCTAssertEqual(try file.root.stringAttribute("encoding"), "lab8")
        let dataset = try file.root.openDataset("sequences/\(sequence.id)/lab")
        XCTAssertEqual(try dataset.shape(), [20, 3, 128, 128])
        XCTAssertEqual(try dataset.chunkShape(), [1, 3, 128, 128])
        XCTAssertEqual(try dataset.filters(), ["deflate"])
        XCTAssertEqual(try dataset.typeDescription(), "uint8")
        XCTAssertEqual(try dataset.stringAttribute("source"), "b.mp4")
        XCTAssertEqual(try dataset.doubleAttribute("fps"), 25)
        XCTAssertEqual(try dataset.intAttribute("first_frame"), 0)
        try file.close()

        // Stored frame 3 equals ffmpeg's centre-cropped frame through the
        // reference CIELAB (within one lab8 code).
        let rgb = try SyntheticMedia.rgbFrame(Self.media + "/b.mp4", index: 3,
                                              filter: "crop=w='min(iw,ih)':h='min(ih,iw)',scale=128:128:flags=area")
        XCTAssertEqual(rgb.count, 3 * 128 * 128)
        let reader = try ShardReader(path: out + "/" + sequence.shard)
        XCTAssertEqual(try reader.frameCount(sequence.id), 20)
        var frames = [UInt8](repeating: 0, count: 2 * 3 * 128 * 128)
        try frames.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 2, count: 2, into: $0) }
        let pixels = 128 * 128
        var worst = 0
        for p in 0..<pixels {
            let lab = CIELAB.lab(r: rgb[3 * p], g: rgb[3 * p + 1], b: rgb[3 * p + 2])
            let code = CIELAB.lab8(l: lab.l, a: lab.a, b: lab.b)
            let stored = 3 * pixels  // frame 3 is the second frame read
            worst = max(worst, abs(Int(code.l) - Int(frames[stored + p])), abs(Int(code.a) - Int(frames[stored + pixels + p])),
                        abs(Int(code.b) - Int(frames[stored + 2 * pixels + p])))
        }
        XCTAssertLessThanOrEqual(worst, 1)
        XCTAssertThrowsError(try frames.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 19, count: 2, into: $0) }) {
            XCTAssertTrue("\($0)".contains("outside sequence"), "\($0)")
        }
        XCTAssertThrowsError(try frames.withUnsafeMutableBufferPointer { try reader.readFrames("nope", start: 0, count: 2, into: $0) })
        reader.close()
    }

    /// Variable frame rate: every frame the file holds is stored once, none
    /// duplicated or dropped to make a constant rate.
    func testVariableFrameRateKeepsEveryFrame() throws {
        let path = out + "-vfr.mkv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Irregular timestamps: gaps of 1, 2 or 3 frame intervals.
        try SyntheticMedia.video(path, [.init(source: "testsrc2", frames: 40, filter: "setpts=(N+floor(N/3)+floor(N/7))/(25*TB)")],
                                 output: ["-fps_mode", "vfr"])
        let expected = try SyntheticMedia.countFrames(path)
        XCTAssertEqual(expected, 40)
        let summary = try Prep.run(PrepOptions(inputs: [path], output: out).with { $0.progress = false })
        XCTAssertEqual(summary.framesDecoded, expected)
        XCTAssertEqual(try DatasetIndex.load(out).sequences.map(\.frames), [expected])
    }

    /// Fade-out/fade-in and a cross-dissolve change the histograms on every frame
    /// for a while; the peak guard keeps them from being cut into pieces.
    func testFadesAndDissolvesAreNotCuts() throws {
        let fade = out + "-fade.mp4", dissolve = out + "-dissolve.mp4"
        defer { try? FileManager.default.removeItem(atPath: fade); try? FileManager.default.removeItem(atPath: dissolve) }
        try SyntheticMedia.video(fade, [.init(source: "mandelbrot", frames: 40, filter: "fade=t=out:start_frame=25:nb_frames=15"),
                                        .init(source: "smptebars", frames: 40, filter: "fade=t=in:start_frame=0:nb_frames=15")])
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y",
                                "-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=25", "-f", "lavfi", "-i", "smptebars=size=160x120:rate=25",
                                "-filter_complex", "[0:v]trim=end_frame=40,setpts=PTS-STARTPTS,format=yuv420p[a];[1:v]trim=end_frame=40,setpts=PTS-STARTPTS,format=yuv420p[b];[a][b]xfade=transition=fade:duration=0.6:offset=1.0[v]",
                                "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", dissolve])
        let summary = try Prep.run(PrepOptions(inputs: [fade, dissolve], output: out).with { $0.progress = false; $0.valFraction = 0 })
        XCTAssertEqual(summary.cuts, 0)
        // Index order is by id, i.e. input path: "…-dissolve.mp4" before "…-fade.mp4".
        XCTAssertEqual(try DatasetIndex.load(out).sequences.map(\.frames), [65, 80])
    }

    func testSmallShardLimitGivesSeveralWholeShards() throws {
        var o = options(["a.mp4", "b.mp4", "d.mkv"])
        o.shardMB = 0.3
        o.maxSequenceFrames = 16  // long shots split too, which bounds shard size
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertGreaterThan(index.shards.count, 2)
        // Pieces are at most 16 + 7 frames (a tail shorter than 8 joins the piece before).
        XCTAssertTrue(index.sequences.allSatisfy { $0.frames <= 16 + 7 && $0.frames >= 8 })
        XCTAssertEqual(index.sequences.reduce(0) { $0 + $1.frames }, 60 + 45 + 60, "no frame lost to length splits")
        var biggestSequence = 0
        for shard in index.shards {
            let reader = try ShardReader(path: out + "/" + shard.file)
            XCTAssertEqual(try reader.sequenceIDs(), shard.sequences)
            for id in shard.sequences {
                biggestSequence = max(biggestSequence, try reader.frameCount(id) * 3 * 128 * 128)
            }
            reader.close()
            // A shard closes at the limit; it may run over by the sequences still open (2 workers).
            XCTAssertLessThanOrEqual(shard.bytes, Int(0.3 * 1_048_576) + 2 * biggestSequence, shard.file)
        }
        // A sequence split at 16 frames continues where the last one stopped.
        let a = index.sequences.filter { $0.source == "a.mp4" }.map { "\($0.firstFrame)+\($0.frames)" }
        XCTAssertEqual(a, ["0+16", "16+14", "30+16", "46+14"])
        let b = index.sequences.filter { $0.source == "b.mp4" }.map { "\($0.firstFrame)+\($0.frames)" }
        XCTAssertEqual(b, ["0+20", "20+16", "36+9"])
    }

    func testValFractionZeroAndOne() throws {
        var o = options(["a.mp4", "b.mp4"])
        o.valFraction = 0
        _ = try Prep.run(o)
        XCTAssertTrue(try DatasetIndex.load(out).sequences.allSatisfy { $0.split == "train" })
        o.valFraction = 1
        o.overwrite = true
        _ = try Prep.run(o)
        XCTAssertTrue(try DatasetIndex.load(out).sequences.allSatisfy { $0.split == "val" })
    }

    /// Fit modes on the portrait 96×128 clip, each against ffmpeg's rendering
    /// of the first frame through filters written out here by hand (centre
    /// 96×96 square for crop, the whole frame squeezed for stretch, 96×128
    /// between two 16-pixel black bars for pad), turned into L* codes with the
    /// reference colour maths. Each mode must match its own rendering (within
    /// the converters' one code) and be far from the other two, so swapping
    /// two modes fails.
    func testFitModes() throws {
        let references: [FitMode: String] = [
            .crop: "crop=96:96:0:16,scale=128:128:flags=area",
            .stretch: "scale=128:128:flags=area",
            .pad: "scale=96:128:flags=area,pad=128:128:16:0:color=black",
        ]
        var expectedL: [FitMode: [Double]] = [:]
        for (fit, filter) in references {
            let rgb = try SyntheticMedia.rgbFrame(Self.media + "/b.mp4", index: 0, filter: filter)
            XCTAssertEqual(rgb.count, 3 * 128 * 128, fit.rawValue)
            expectedL[fit] = (0..<(128 * 128)).map { p in
                CIELAB.lab(r: rgb[3 * p], g: rgb[3 * p + 1], b: rgb[3 * p + 2]).l * 255 / 100
            }
        }
        func meanDifference(_ a: [UInt8], _ b: [Double]) -> Double {
            zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) - $1.1) } / Double(b.count)
        }
        for fit in FitMode.allCases {
            var o = options(["b.mp4"])
            o.fit = fit
            o.overwrite = true
            _ = try Prep.run(o)
            let index = try DatasetIndex.load(out)
            let reader = try ShardReader(path: out + "/" + index.sequences[0].shard)
            var frame = [UInt8](repeating: 0, count: 3 * 128 * 128)
            try frame.withUnsafeMutableBufferPointer { try reader.readFrames(index.sequences[0].id, start: 0, count: 1, into: $0) }
            reader.close()
            let lPlane = Array(frame[0..<(128 * 128)])
            let own = meanDifference(lPlane, try XCTUnwrap(expectedL[fit]))
            XCTAssertLessThan(own, 1, "\(fit.rawValue) vs its reference rendering")
            for other in FitMode.allCases where other != fit {
                let distance = meanDifference(lPlane, try XCTUnwrap(expectedL[other]))
                XCTAssertGreaterThan(distance, max(3, 10 * own), "\(fit.rawValue) is as close to \(other.rawValue)")
            }
        }
    }

    /// One worker and two give the same data set: the same index.json and the
    /// same bytes in every sequence (workers finish in any order; the output
    /// must not depend on it). One shard: with several, which shard a sequence
    /// lands in follows the order the workers finish (docs/dataprep.md).
    func testOneAndTwoWorkersGiveTheSameDataSet() throws {
        var contents: [(DatasetIndex, [String: [UInt8]])] = []
        for workers in [1, 2] {
            var o = options(["a.mp4", "b.mp4", "c", "d.mkv"])
            o.workers = workers
            o.valFraction = 0.5
            o.overwrite = true
            _ = try Prep.run(o)
            let index = try DatasetIndex.load(out)
            var frames: [String: [UInt8]] = [:]
            for sequence in index.sequences {
                let reader = try ShardReader(path: out + "/" + sequence.shard)
                var bytes = [UInt8](repeating: 0, count: sequence.frames * 3 * 128 * 128)
                try bytes.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 0, count: sequence.frames, into: $0) }
                reader.close()
                frames[sequence.id] = bytes
            }
            contents.append((index, frames))
        }
        XCTAssertEqual(contents[0].0, contents[1].0, "index.json")
        XCTAssertEqual(contents[0].1.keys.sorted(), contents[1].1.keys.sorted())
        for (id, bytes) in contents[0].1 { XCTAssertTrue(bytes == contents[1].1[id], "sequence \(id)") }
        XCTAssertEqual(contents[0].1.count, 7)
    }

    func testResumeWithDifferentOptionsIsRefused() throws {
        _ = try Prep.run(options(["a.mp4"]))
        var o = options(["a.mp4"])
        o.seed = 99
        XCTAssertThrowsError(try Prep.run(o)) { XCTAssertTrue("\($0)".contains("--seed"), "\($0)") }
        // The same command again is a no-op that leaves the data set as it was.
        let before = try DatasetIndex.load(out)
        let summary = try Prep.run(options(["a.mp4"]))
        XCTAssertEqual(summary.alreadyDone, 1)
        XCTAssertEqual(summary.framesDecoded, 0)
        XCTAssertEqual(try DatasetIndex.load(out), before)
    }

    func testLabelsNameTheirInputsInSourcesAndSequences() throws {
        var o = options(["a.mp4", "b.mp4", "c", "d.mkv"])
        // A file label, a directory label with a trailing slash, and the folder
        // holding both given last: the longest path wins, not the last given.
        o.labels = [InputLabel(name: "real", path: Self.media + "/a.mp4"), InputLabel(name: "animation", path: Self.media + "/c/"),
                    InputLabel(name: "photo-pan", path: Self.media)]
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.sources.map(\.label), ["real", "photo-pan", "animation", "photo-pan"])
        for sequence in index.sequences {
            XCTAssertEqual(sequence.label, index.sources.first { $0.path == sequence.sourcePath }?.label, sequence.id)
        }
        let text = try String(contentsOfFile: out + "/index.json", encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "\"label\" : \"real\"").count - 1, 1 + 2, "a.mp4's source and its 2 sequences")
        // Resuming with another label is refused; without any label, no key is written.
        o.labels[0].name = "film"
        XCTAssertThrowsError(try Prep.run(o)) { XCTAssertTrue("\($0)".contains("--label"), "\($0)") }
        var plain = options(["a.mp4"])
        plain.output = out + "-plain"
        defer { try? FileManager.default.removeItem(atPath: plain.output) }
        _ = try Prep.run(plain)
        XCTAssertFalse(try String(contentsOfFile: plain.output + "/index.json", encoding: .utf8).contains("\"label\""))
    }

    func testResumeWithOtherLabelsIsRefusedForAnUnfinishedInputToo() throws {
        var o = options(["a.mp4", "b.mp4"])
        o.labels = [InputLabel(name: "real", path: Self.media)]
        _ = try Prep.run(o)
        // As an interrupted run can leave it: a.mp4's sequences stored in a
        // finished shard, its source record not written yet.
        let path = out + "/index.json"
        var index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        index["complete"] = false
        index["sources"] = try XCTUnwrap(index["sources"] as? [[String: Any]]).filter { $0["name"] as? String != "a.mp4" }
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: path))
        o.labels = [InputLabel(name: "real", path: Self.media + "/b.mp4")]   // a.mp4 would lose its label
        XCTAssertThrowsError(try Prep.run(o)) { XCTAssertTrue("\($0)".contains("--label"), "\($0)") }
    }

    func testBadLabelsAreOneClearError() {
        let cases: [(String, [InputLabel])] = [
            ("--label Real=", [InputLabel(name: "Real", path: Self.media)]),
            ("--label =", [InputLabel(name: "", path: Self.media)]),
            ("--label real=: give the path", [InputLabel(name: "real", path: "")]),
            ("--label real=\(Self.media)/zzz: no input", [InputLabel(name: "real", path: Self.media + "/zzz")]),
            ("--label b=\(Self.media)/a.mp4 and --label a=", [InputLabel(name: "a", path: Self.media + "/a.mp4"),
                                                            InputLabel(name: "b", path: Self.media + "/a.mp4")]),
        ]
        for (fragment, labels) in cases {
            XCTAssertThrowsError(try Prep.run(options(["a.mp4"]).with { $0.labels = labels }), fragment) {
                XCTAssertTrue("\($0)".hasPrefix(fragment), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/index.json"), "no index for \(fragment)")
        }
        XCTAssertNil(InputLabel(parsing: "real"))
        XCTAssertEqual(InputLabel(parsing: "real=a=b.mp4"), InputLabel(name: "real", path: "a=b.mp4"))
    }

    func testBadOptionsAreRejected() {
        var o = options(["a.mp4"])
        o.size = 100
        XCTAssertThrowsError(try Prep.run(o)) { XCTAssertTrue("\($0)".contains("multiple of 128")) }
        // Each bad value is one error naming the option (no trap on an Int
        // overflow further on: size²·3, 4·workers, shard-mb·2²⁰).
        let cases: [(String, (inout PrepOptions) -> Void)] = [
            ("--val-fraction", { $0.valFraction = 1.5 }),
            ("--val-fraction", { $0.valFraction = .nan }),
            ("--size must be at most", { $0.size = 1 << 40 }),
            ("--workers", { $0.workers = .max }),
            ("--workers", { $0.workers = 0 }),
            ("--shard-mb", { $0.shardMB = .infinity }),
            ("--shard-mb", { $0.shardMB = 0 }),
            ("--deflate", { $0.deflate = 10 }),
            ("--cut-threshold", { $0.cutThreshold = -1 }),
        ]
        for (fragment, change) in cases {
            XCTAssertThrowsError(try Prep.run(options(["a.mp4"]).with(change)), fragment) {
                XCTAssertTrue("\($0)".hasPrefix(fragment), "\($0)")
            }
        }
    }
}

extension PrepOptions {
    func with(_ change: (inout PrepOptions) -> Void) -> PrepOptions {
        var copy = self
        change(&copy)
        return copy
    }
}
