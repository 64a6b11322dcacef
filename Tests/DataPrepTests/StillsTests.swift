import Foundation
@testable import Media
import TestSupport
import XCTest
@testable import DataPrep
@testable import Imaging

/// `vcolor prep --stills`: photos (made here with ffmpeg) become clips along
/// camera paths, decoded and rendered in-process.
final class StillsTests: SharedMediaTestCase {
    /// photos/: a.jpg 301×173 (testsrc2), nested/b.png 1000×90 (smptebars),
    /// nested/deeper/c.webp 90×1000 (mandelbrot), grey.jpg (a gray JPEG),
    /// greyrgb.png (rgb24 without colour), broken.jpg (the first 600 bytes of a JPEG).
    override class func makeMedia() throws {
        let photos = media + "/photos"
        try FileManager.default.createDirectory(atPath: photos + "/nested/deeper", withIntermediateDirectories: true)
        try picture(photos + "/a.jpg", "testsrc2=size=301x173")
        try picture(photos + "/nested/b.png", "smptebars=size=1000x90")
        try picture(photos + "/nested/deeper/c.webp", "mandelbrot=size=90x1000")
        try picture(photos + "/grey.jpg", "testsrc2=size=320x240", filter: "format=gray")
        try picture(photos + "/greyrgb.png", "testsrc2=size=320x240", filter: "hue=s=0,format=rgb24")
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: photos + "/a.jpg"))
        try jpeg.prefix(600).write(to: URL(fileURLWithPath: photos + "/broken.jpg"))
    }

    /// One frame of a lavfi source as an image file.
    static func picture(_ path: String, _ source: String, filter: String? = nil) throws {
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
                               + (filter.map { ["-vf", $0] } ?? []) + ["-frames:v", "1", path])
    }

    func options(clips: Int = 2, frames: Int = 12) -> PrepOptions {
        var o = PrepOptions(inputs: [], output: out)
        o.stills = [Self.media + "/photos"]
        o.progress = false
        o.workers = 2
        o.clipsPerStill = clips
        o.stillFrames = frames
        return o
    }

    /// Every frame of every sequence of a data set, by id.
    func frames(_ directory: String) throws -> [String: [UInt8]] {
        let index = try DatasetIndex.load(directory)
        var frames: [String: [UInt8]] = [:]
        for sequence in index.sequences {
            let reader = try ShardReader(path: directory + "/" + sequence.shard)
            var bytes = [UInt8](repeating: 0, count: sequence.frames * 3 * reader.height * reader.width)
            try bytes.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: 0, count: sequence.frames, into: $0) }
            XCTAssertEqual(try reader.frameCount(sequence.id), sequence.frames, sequence.id)
            reader.close()
            frames[sequence.id] = bytes
        }
        return frames
    }

    func testPhotosBecomeClipsLabelledStillGreyRefusedBrokenSkipped() throws {
        var o = options(clips: 2, frames: 12)
        o.valFraction = 0.5
        o.seed = 5
        let summary = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        // Nested photos are inputs of their own, not an image sequence.
        XCTAssertEqual(index.sources.map(\.name), ["a.jpg", "grey.jpg", "greyrgb.png", "b.png", "c.webp"])
        XCTAssertTrue(index.sources.allSatisfy { $0.kind == "still" && $0.label == "still" })
        XCTAssertEqual(index.sources.map(\.sequences), [2, 0, 0, 2, 2])
        XCTAssertEqual(index.sources.map(\.frames), [24, 0, 0, 24, 24])
        for grey in index.sources where grey.sequences == 0 {
            XCTAssertEqual(grey.warning, InputWorker.greyscaleWarning, grey.name)
        }
        XCTAssertEqual(summary.stills, 3)
        XCTAssertEqual(summary.greyscaleStills, 2)
        XCTAssertEqual(index.skipped.map(\.path), [Self.media + "/photos/broken.jpg"])
        XCTAssertFalse(index.skipped[0].reason.isEmpty || index.skipped[0].reason.contains("\n"), index.skipped[0].reason)
        // Ids name the photo (its input ordinal) and the clip; first_frame counts the photo's frames.
        // (broken.jpg, 1, is only found out when decoded: ordinals are of the inputs found.)
        XCTAssertEqual(index.sequences.map(\.id), ["00000-0000", "00000-0001", "00004-0000", "00004-0001", "00005-0000", "00005-0001"])
        XCTAssertEqual(index.sequences.map(\.firstFrame), [0, 12, 0, 12, 0, 12])
        XCTAssertTrue(index.sequences.allSatisfy { $0.frames == 12 && $0.label == "still" && $0.fps == 0 })
        // Every clip of a photo on its photo's side; with 0.5, some photos on each.
        for sequence in index.sequences {
            XCTAssertEqual(sequence.split, index.sources.first { $0.path == sequence.sourcePath }?.split, sequence.id)
        }
        XCTAssertEqual(Set(index.sources.map(\.split)), ["train", "val"])
        let text = try String(contentsOfFile: out + "/index.json", encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "\"label\" : \"still\"").count - 1, 5 + 6, "5 sources, 6 sequences")
        XCTAssertTrue(text.contains("\"clips_per_still\" : 2") && text.contains("\"still_frames\" : 12"), text)
        // The camera moves: a clip's last frame is not its first.
        let frameBytes = 3 * 128 * 128
        for (id, bytes) in try frames(out) {
            XCTAssertNotEqual(bytes[0..<frameBytes], bytes[11 * frameBytes..<12 * frameBytes], id)
        }
    }

    func testClipAndFrameCountsAsConfigured() throws {
        var o = options(clips: 3, frames: 9)
        o.minFrames = 9
        o.stills = [Self.media + "/photos/nested"]
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.sources.map(\.name), ["b.png", "c.webp"])
        XCTAssertEqual(index.sequences.count, 6)
        XCTAssertTrue(index.sequences.allSatisfy { $0.frames == 9 })
        XCTAssertEqual(try frames(out).values.map(\.count), [Int](repeating: 9 * 3 * 128 * 128, count: 6))
        // Too few frames for --min-frames, too many clips: one error each.
        for (fragment, change) in [("--still-frames", { (o: inout PrepOptions) in o.stillFrames = 7 }),
                                   ("--clips-per-still", { (o: inout PrepOptions) in o.clipsPerStill = 0 })] {
            XCTAssertThrowsError(try Prep.run(options().with(change))) { XCTAssertTrue("\($0)".hasPrefix(fragment), "\($0)") }
        }
    }

    /// Two runs, with one worker or two, give the same index and the same
    /// frames (as prep promises for videos; the shard files themselves differ
    /// in HDF5's object timestamps); another seed, other clips.
    func testSameSeedSameDataSetOtherSeedOtherClips() throws {
        var o = options()
        o.workers = 1
        o.seed = 3
        _ = try Prep.run(o)
        o.output = out + "-2"
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.sequences.count, 6)
        XCTAssertEqual(try DatasetIndex.load(out + "-2").sequences, index.sequences)
        let first = try frames(out)
        XCTAssertEqual(try frames(out + "-2"), first)
        o.workers = 2
        o.overwrite = true
        _ = try Prep.run(o)
        XCTAssertEqual(try DatasetIndex.load(out + "-2").sequences, index.sequences)
        XCTAssertEqual(try frames(out + "-2"), first)
        o.seed = 4
        o.output = out + "-3"
        _ = try Prep.run(o)
        let other = try frames(out + "-3")
        XCTAssertEqual(other.keys.sorted(), first.keys.sorted())
        for (id, bytes) in other { XCTAssertNotEqual(bytes, first[id], "\(id): the seed changes the camera path") }
    }

    /// prep killed in the middle (from inside the writer, after 60 frames),
    /// then the same command: the same data set as an uninterrupted run.
    func testInterruptedStillsPrepResumesToTheSameDataSet() throws {
        let common = ["prep", "--stills", Self.media + "/photos", "--clips-per-still", "3", "--still-frames", "10",
                      "--shard-mb", "0.3", "--workers", "2", "--seed", "9", "--val-fraction", "0.3"]
        let whole = try runVcolor(common + ["--out", out])
        XCTAssertEqual(whole.status, 1, "broken.jpg is skipped: \(whole.stderr)")
        XCTAssertTrue(whole.stderr.contains("skipping \(Self.media)/photos/broken.jpg: "), whole.stderr)
        XCTAssertEqual(whole.stderr.components(separatedBy: "greyscale photo").count - 1, 2, whole.stderr)
        var environment = environmentWithoutMPI()
        environment["VCOLOR_PREP_TEST_KILL_AFTER_FRAMES"] = "60"
        let killed = try runVcolor(common + ["--out", out + "-2"], environment: environment)
        XCTAssertEqual(killed.status, 9, "killed by SIGKILL: \(killed.stderr)")
        let partial = try DatasetIndex.load(out + "-2", requireComplete: false)
        XCTAssertFalse(partial.complete)
        XCTAssertGreaterThan(partial.sequences.count, 0, "some clips were stored before the kill")
        XCTAssertLessThan(partial.sequences.count, 9)
        let resumed = try runVcolor(common + ["--out", out + "-2"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        let a = try DatasetIndex.load(out), b = try DatasetIndex.load(out + "-2")
        func strip(_ s: DatasetIndex.Sequence) -> String { "\(s.id) \(s.source) \(s.firstFrame)+\(s.frames) \(s.split) \(s.label ?? "-")" }
        XCTAssertEqual(a.sequences.map(strip), b.sequences.map(strip))
        XCTAssertEqual(a.sources, b.sources)
        XCTAssertEqual(a.sequences.count, 9)
        XCTAssertEqual(try frames(out), try frames(out + "-2"))
    }

    /// A JPEG whose pixels brighten left to right as stored, with an EXIF
    /// Orientation tag patched in: untagged, the frames brighten to the right;
    /// with 6 (turn 90° clockwise to show) downwards; with 8 (counter-clockwise) upwards.
    func testEXIFOrientationIsHonoured() throws {
        let folder = out + "-2"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (w, h) = (320, 200)
        var raw = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w { raw[3 * (y * w + x)] = UInt8(30 + 200 * x / w); raw[3 * (y * w + x) + 1] = 90; raw[3 * (y * w + x) + 2] = 150 }
        }
        try Data(raw).write(to: URL(fileURLWithPath: folder + "/ramp.rgb"))
        try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(w)x\(h)",
                                "-i", folder + "/ramp.rgb", "-q:v", "2", folder + "/plain.jpg"])
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: folder + "/plain.jpg"))
        for orientation: UInt16 in [6, 8] {
            try Self.withOrientation(jpeg, orientation).write(to: URL(fileURLWithPath: folder + "/turned\(orientation).jpg"))
        }
        try FileManager.default.removeItem(atPath: folder + "/ramp.rgb")
        // The decoder reports the tag and the displayed size.
        let decoder = StillDecoder()
        XCTAssertEqual(try decoder.decode(folder + "/turned6.jpg").orientation, 6)
        XCTAssertEqual(try decoder.decode(folder + "/turned6.jpg").displayWidth, h)
        XCTAssertEqual(try decoder.decode(folder + "/plain.jpg").orientation, 1)

        var o = options(clips: 2, frames: 8)
        o.stills = [folder]
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.sources.map(\.name), ["plain.jpg", "turned6.jpg", "turned8.jpg"])
        let all = try frames(out)
        let n = 128, plane = n * n
        for sequence in index.sequences {
            let bytes = try XCTUnwrap(all[sequence.id])
            for t in 0..<sequence.frames {
                // Mean L of the right minus the left half, and of the bottom minus the top half.
                var right = 0.0, down = 0.0
                for y in 0..<n {
                    for x in 0..<n {
                        let l = Double(bytes[t * 3 * plane + y * n + x])
                        right += x < n / 2 ? -l : l
                        down += y < n / 2 ? -l : l
                    }
                }
                (right, down) = (right / Double(plane / 2), down / Double(plane / 2))
                let (along, across): (Double, Double) = switch sequence.source {
                case "plain.jpg": (right, down)
                case "turned6.jpg": (down, right)
                default: (-down, right)
                }
                // A window spans at least 0.35 of the photo's shorter side: ≥ 8 L codes of the ramp.
                XCTAssertGreaterThan(along, 5, "\(sequence.source) frame \(t): brightens the wrong way (\(right), \(down))")
                // The roll is at most 5°: tan 5° ≈ 0.09 of the ramp crosses the other axis.
                XCTAssertLessThan(abs(across), 0.25 * along, "\(sequence.source) frame \(t)")
            }
        }
    }

    /// `jpeg` with an APP1 Exif segment holding only an Orientation tag, after SOI.
    static func withOrientation(_ jpeg: Data, _ orientation: UInt16) -> Data {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 255)] }
        // TIFF header (big-endian), IFD0 at 8 with one entry: 0x0112 SHORT ×1, then no next IFD.
        let tiff: [UInt8] = Array("MM".utf8) + [0, 42, 0, 0, 0, 8] + be16(1) + be16(0x0112) + be16(3) + [0, 0, 0, 1]
            + be16(orientation) + [0, 0] + [0, 0, 0, 0]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1] + be16(UInt16(payload.count + 2)) + payload
        return jpeg.prefix(2) + Data(segment) + jpeg.dropFirst(2)
    }

    /// The renderer against ffmpeg's own area scaling: a whole 512² photo
    /// seen straight on at 128² is a 4 × 4 box average of its pixels, which
    /// `scale=128:128:flags=area` computes too. Lossless PNG: the same pixels
    /// in both, so they agree to the rounding (one code). A JPEG (yuvj420p),
    /// which ffmpeg turns into RGB at full size before scaling: the colour
    /// conversion against ffmpeg's, whose chroma upsampling (bilinear; ours
    /// takes the chroma sample under each pixel, then averages) differs at
    /// sharp colour edges. A 2048² JPEG, which the renderer decodes at half
    /// size (its smallest possible window, 717 pixels, allows 5 stored pixels
    /// a sample, 4 with 4:2:0 chroma) and ffmpeg whole: the same, with the
    /// DCT's low-pass for the box at the first 2 × 2.
    func testWholePhotoMatchesFFmpegAreaScaling() throws {
        let folder = out + "-2"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Measured: PNG mean 0.011, worst 1; JPEG mean 0.33, worst 19 (at testsrc2's sharp colour edges); 2048² JPEG mean 0.26, worst 15.
        for (name, side, scale, limit) in [("whole.png", 512, 1, (mean: 0.05, worst: 1)), ("whole.jpg", 512, 1, (mean: 0.6, worst: 24)),
                                           ("large.jpg", 2048, 2, (mean: 0.6, worst: 24))] {
            let path = folder + "/" + name
            try Self.picture(path, "testsrc2=size=\(side)x\(side)")
            let expected = [UInt8](try SyntheticMedia.run(["-hide_banner", "-loglevel", "error", "-i", path, "-vf",
                                                          "format=rgb24,scale=128:128:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]))
            XCTAssertEqual(expected.count, 3 * 128 * 128)
            let renderer = StillRenderer(size: 128)
            XCTAssertEqual(try renderer.decode(path).scale, scale, name)
            renderer.prepare(sides: Double(side)...Double(side))
            var rgb = [UInt8](repeating: 0, count: 3 * 128 * 128)
            rgb.withUnsafeMutableBufferPointer {
                renderer.render(CameraPath.Window(x: Double(side) / 2, y: Double(side) / 2, side: Double(side), angle: 0), into: $0.baseAddress!)
            }
            let differences = zip(rgb, expected).map { abs(Int($0) - Int($1)) }
            let mean = Double(differences.reduce(0, +)) / Double(differences.count)
            XCTAssertLessThanOrEqual(mean, limit.mean, name)
            XCTAssertLessThanOrEqual(differences.max()!, limit.worst, name)
        }
    }

    /// Decoded pixels per level-0 pixel: what the smallest window allows,
    /// less what decoding reduced already; and enough that level 0 fits the
    /// pyramid even for a photo millions of pixels wide.
    func testReductionOfTheDecodedPhoto() {
        func info(_ width: Int, _ height: Int, scale: Int) -> StillInfo {
            StillInfo(width: width, height: height, scale: scale, orientation: 1, isGreyFormat: false, pixelFormat: "yuvj420p")
        }
        // A 4000×3000 photo: windows of at least 1050 allow 8 stored pixels a sample.
        XCTAssertEqual(StillRenderer.coarsestSample(width: 4000, height: 3000, size: 128), 8)
        XCTAssertEqual(StillRenderer.coarsestSample(width: 300, height: 200, size: 128), 1)
        XCTAssertEqual(StillRenderer.reduction(info(4000, 3000, scale: 1), smallestSide: 1100, size: 128), 8)
        XCTAssertEqual(StillRenderer.reduction(info(4000, 3000, scale: 4), smallestSide: 1100, size: 128), 2)
        XCTAssertEqual(StillRenderer.reduction(info(4000, 3000, scale: 4), smallestSide: 1500, size: 128), 2, "11 / 4")
        XCTAssertEqual(StillRenderer.reduction(info(300, 200, scale: 1), smallestSide: 128, size: 128), 1)
        let wide = info(3 * StillPyramid.maximumSide, 1, scale: 1)
        let r = StillRenderer.reduction(wide, smallestSide: 0.9, size: 128)
        XCTAssertLessThanOrEqual(StillDecoder.reducedSize(wide, factor: r).width, StillPyramid.maximumSide)
        XCTAssertEqual(r, 3)
    }

    /// Every frame's window, turned, lies inside the photo; sides stay in
    /// their range; the same arguments give the same path, and across clips
    /// the paths zoom in and out, pan, and use every easing.
    func testCameraPathsStayInsideThePhotoAndVary() {
        var zoomsIn = 0, zoomsOut = 0, pans = 0, easings = Set<Int>()
        var checked = 0
        for (w, h) in [(301, 173), (1000, 90), (90, 1000), (4000, 3000), (128, 128)] {
            for clip in 0..<60 {
                let path = CameraPath.make(width: w, height: h, size: 128, seed: 1, key: "p/\(w)x\(h).jpg", clip: clip)
                XCTAssertEqual(path, CameraPath.make(width: w, height: h, size: 128, seed: 1, key: "p/\(w)x\(h).jpg", clip: clip))
                XCTAssertNotEqual(path, CameraPath.make(width: w, height: h, size: 128, seed: 2, key: "p/\(w)x\(h).jpg", clip: clip))
                let shorter = Double(min(w, h))
                for t in 0..<16 {
                    let window = path.window(t, of: 16)
                    XCTAssertLessThanOrEqual(window.side, 0.9 * shorter + 1e-9)
                    XCTAssertGreaterThanOrEqual(window.side, min(0.9 * shorter, max(0.35 * shorter, 128)) - 1e-9)
                    XCTAssertLessThanOrEqual(abs(window.angle), 5 * Double.pi / 180 + 1e-12)
                    for (u, v) in [(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)] {
                        let x = window.x + window.side * (u * cos(window.angle) - v * sin(window.angle))
                        let y = window.y + window.side * (u * sin(window.angle) + v * cos(window.angle))
                        XCTAssertTrue(x >= -1e-6 && x <= Double(w) + 1e-6 && y >= -1e-6 && y <= Double(h) + 1e-6,
                                      "\(w)×\(h) clip \(clip) frame \(t): corner (\(x), \(y))")
                        checked += 1
                    }
                }
                let zoom = path.end.side / path.start.side
                if zoom > 1.1 { zoomsOut += 1 }
                if zoom < 0.9 { zoomsIn += 1 }
                if hypot(path.end.x - path.start.x, path.end.y - path.start.y) > 0.2 * path.start.side { pans += 1 }
                easings.insert(path.easing.rawValue)
            }
        }
        XCTAssertEqual(checked, 5 * 60 * 16 * 4)
        XCTAssertGreaterThan(zoomsIn, 20)
        XCTAssertGreaterThan(zoomsOut, 20)
        XCTAssertGreaterThan(pans, 50)
        XCTAssertEqual(easings.count, CameraPath.Easing.allCases.count)
    }

    func testStillsLabelsAndScanning() throws {
        let photos = Self.media + "/photos"
        // Ten frames of a sequence beside a folder of photos, the photos given to --stills as well.
        let mixed = out + "-2"
        try SyntheticMedia.images(mixed + "/frames", source: "testsrc2", count: 10)
        try FileManager.default.createDirectory(atPath: mixed + "/frames/photos/more", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: photos + "/a.jpg", toPath: mixed + "/frames/photos/a.jpg")
        try FileManager.default.copyItem(atPath: photos + "/nested/b.png", toPath: mixed + "/frames/photos/more/b.png")
        // Named twice (in the positional folder, and on its own): one input.
        let scan = InputScanner.scan([mixed, mixed + "/frames/photos/more/b.png"], stills: [mixed + "/frames/photos"])
        XCTAssertEqual(scan.inputs.map(\.kind), [.imageSequence, .still, .still])
        XCTAssertEqual(scan.inputs[0].images.count, 10)
        XCTAssertEqual(scan.inputs.compactMap(\.stillKey), ["a.jpg", "more/b.png"])
        XCTAssertEqual(InputScanner.scan([], stills: [photos + "/a.jpg"]).inputs.map(\.stillKey), ["a.jpg"])
        // A label for stills is refused, and so is the name still for other inputs.
        for (fragment, label) in [("--label x=\(photos)/nested: inside --stills", InputLabel(name: "x", path: photos + "/nested")),
                                  ("--label still=", InputLabel(name: "still", path: photos))] {
            XCTAssertThrowsError(try Prep.run(options().with { $0.labels = [label] })) { XCTAssertTrue("\($0)".hasPrefix(fragment), "\($0)") }
        }
        // A label around the stills folder labels the others; the stills stay still.
        var o = options()
        o.inputs = [mixed]
        o.stills = [mixed + "/frames/photos"]
        o.labels = [InputLabel(name: "frames", path: mixed)]
        o.valFraction = 0
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(out)
        XCTAssertEqual(index.sources.map(\.kind), ["image_sequence", "still", "still"])
        XCTAssertEqual(index.sources.map(\.label), ["frames", "still", "still"])
    }
}
