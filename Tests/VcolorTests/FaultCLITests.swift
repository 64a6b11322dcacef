import Foundation
import TestSupport
import XCTest

/// Issues 10 and 25 on the command line: signals to colorize, prep with nothing
/// usable, outputs that must not damage what is already there.
final class FaultCLITests: XCTestCase {
    /// SIGTERM while colorize encodes: the hidden temporary of the chunk being
    /// written is removed, the output never appears, the work folder stays
    /// for --resume (and the message says so), and the process dies by
    /// SIGTERM as the caller expects.
    func testColorizeRemovesItsTemporaryOnASignal() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/long.mp4"
        try SyntheticMedia.encode("testsrc2=size=320x240:rate=25:duration=120", to: clip)
        let out = dir + "/out.mp4", parts = out + ".parts"
        let (process, errURL) = try startVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"),
                                                 clip, "--out", out, "--quiet"], in: dir)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Wait for the temporary (ffmpeg is encoding the first chunk), then a while longer.
        let deadline = Date().addingTimeInterval(60)
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".out.tmp-") }
                + ((try? FileManager.default.contentsOfDirectory(atPath: parts)) ?? []).filter { $0.hasPrefix(".chunk-") }
        }
        while Date() < deadline, process.isRunning, temporaries().isEmpty { usleep(20_000) }
        XCTAssertFalse(temporaries().isEmpty, "no temporary output appeared")
        usleep(500_000)
        XCTAssertTrue(process.isRunning, "colorize finished before the signal; make the clip longer")
        guard let stderr = try stopBySIGTERM(process, stderr: errURL, "colorize") else { return }
        XCTAssertTrue(stderr.contains("colorize: error: stopped by SIGTERM; \(out) was not written; the finished chunks in \(parts) are kept"), stderr)
        XCTAssertEqual(temporaries(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertTrue(FileManager.default.fileExists(atPath: parts + "/plan.json"), "the plan stays for --resume")
    }

    /// A prep writing into `--out` holds its lock: a second prep there is
    /// refused before touching anything, naming the holder's process id.
    func testSecondPrepIntoALockedDirectoryIsRefused() throws {
        let dir = try makeScratchDirectory()
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let fd = open(out + "/.vcolor.lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        _ = "pid 4242\n".withCString { write(fd, $0, 9) }
        try "x".write(toFile: out + "/shard-00000.h5", atomically: true, encoding: .utf8)
        let r = try runVcolor(["prep", colorizeFixture("input"), "--out", out, "--overwrite"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("in use by another vcolor prep (pid 4242)"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: out + "/shard-00000.h5", encoding: .utf8), "x", "--overwrite must not have started")
    }

    /// An output that resolves to an input is refused before any work, and the
    /// original is untouched: the same file, a hard link, a symbolic link, the
    /// same directory of frames.
    func testOutputsThatAreTheInputAreRefused() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        let frames = dir + "/frames"
        try FileManager.default.copyItem(atPath: colorizeFixture("input"), toPath: frames)
        let original = try FileManager.default.contentsOfDirectory(atPath: frames).sorted()
        let image = frames + "/" + original.first { $0.hasSuffix(".png") }!
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        XCTAssertEqual(link(image, dir + "/hard.png"), 0)
        try FileManager.default.createSymbolicLink(atPath: dir + "/soft.png", withDestinationPath: image)
        try FileManager.default.createSymbolicLink(atPath: dir + "/framelink", withDestinationPath: frames)
        let cases: [(String, String, String)] = [
            (image, image, "the output is the input"),
            (image, dir + "/hard.png", "the same file under another name"),
            (image, dir + "/soft.png", "the same file under another name"),
            (frames, frames, "the output directory is the input directory"),
            (frames, dir + "/framelink", "the output directory is the input directory"),
        ]
        for (input, output, message) in cases {
            let r = try runVcolor(["colorize", "--model", model, input, "--out", output, "--quiet"])
            XCTAssertEqual(r.status, 1, "\(input) → \(output): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(input) → \(output): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), bytes)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: frames).sorted(), original)
    }

    /// A video cut short (its index still claims every frame) is colourised as
    /// far as it decodes, with a warning saying how many frames came of how many.
    func testTruncatedVideoIsColourisedWithAWarning() throws {
        let dir = try makeScratchDirectory()
        let whole = dir + "/whole.mp4"
        try SyntheticMedia.encode("testsrc2=size=160x120:rate=25", to: whole, output: ["-frames:v", "50", "-g", "5", "-movflags", "+faststart"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.mp4"))
        let r = try runVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"), dir + "/cut.mp4",
                               "--out", dir + "/out.mp4", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Two warnings: ffmpeg's complaints about the cut-off packet summed up, then the frame count.
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("warning") }
        XCTAssertEqual(warnings.count, 2, r.stderr)
        XCTAssertTrue(warnings.first?.contains("ffmpeg reported") ?? false, r.stderr)
        XCTAssertTrue(warnings.last?.contains("of the 50 frames its container claims") ?? false, r.stderr)
        let intact = try runVcolor(["colorize", "--model", colorizeFixture("tiny-none.safetensors"), whole,
                                    "--out", dir + "/whole-out.mp4", "--quiet"])
        XCTAssertEqual(intact.status, 0, intact.stderr)
        XCTAssertFalse(intact.stderr.contains("warning"), intact.stderr)
    }

    /// Containers that cannot hold the codec, unknown codecs and absurd frame
    /// rates are errors before the network pass, in one line with the reason.
    func testOutputFormatAndFrameRateAreCheckedBeforeWork() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        let input = colorizeFixture("input")
        for (out, extra, message) in [("x.gif", [String](), "ffmpeg cannot write libx264 video into a .gif file"),
                                      ("x.webm", [], "ffmpeg cannot write libx264 video into a .webm file"),
                                      ("x.mp4", ["--codec", "no-such-codec"], "ffmpeg cannot write no-such-codec video"),
                                      ("x.mp4", ["--fps", "0"], "--fps must be a frame rate above 0"),
                                      ("x.mp4", ["--fps", "nan"], "--fps must be a frame rate above 0"),
                                      ("x.mp4", ["--fps", "1/0"], "--fps must be a frame rate above 0"),
                                      ("x.mp4", ["--fps", "1/1000000000"], "--fps must be a frame rate above 0")] {
            let r = try runVcolor(["colorize", "--model", model, input, "--out", dir + "/" + out, "--quiet"] + extra)
            XCTAssertEqual(r.status, 1, "\(out) \(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(out) \(extra): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + out))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// A symbolic link back up the tree is followed once, not forever.
    func testPrepDirectoryWithASymlinkCycleEnds() throws {
        let dir = try makeScratchDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/films/sub", withIntermediateDirectories: true)
        try SyntheticMedia.encode("testsrc2=size=160x120:rate=25", to: dir + "/films/sub/a.mp4", output: ["-frames:v", "20"])
        try FileManager.default.createSymbolicLink(atPath: dir + "/films/sub/loop", withDestinationPath: dir + "/films")
        let r = try runVcolor(["prep", dir + "/films", "--out", dir + "/out", "--val-fraction", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["inputs"] as? Int, 1, r.stdout)
    }

    /// SIGTERM during prep: the shard being written (`.partial`) is removed,
    /// the index says incomplete, prep dies by the signal, and the same
    /// command run again finishes the data set.
    func testPrepRemovesItsPartialShardOnASignalAndResumes() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/long.mp4"
        try SyntheticMedia.encode("testsrc2=size=320x240:rate=25:duration=60", to: clip)
        let out = dir + "/out"
        let (process, errURL) = try startVcolor(["prep", clip, "--out", out, "--val-fraction", "0"], in: dir)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func partials() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { $0.hasSuffix(".partial") }
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, partials().isEmpty { usleep(10_000) }
        guard process.isRunning, !partials().isEmpty else { return XCTFail("prep wrote no .partial shard while running") }
        guard let stderr = try stopBySIGTERM(process, stderr: errURL, "prep") else { return }
        XCTAssertTrue(stderr.contains("prep: error: stopped by SIGTERM; what is stored is kept"), stderr)
        XCTAssertEqual(partials(), [])
        let index = try String(contentsOfFile: out + "/index.json", encoding: .utf8)
        XCTAssertTrue(index.contains("\"complete\" : false") || index.contains("\"complete\":false"), index.prefix(300).description)
        let again = try runVcolor(["prep", clip, "--out", out, "--val-fraction", "0"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(partials(), [])
    }

    /// Only unusable inputs (empty file, missing path, empty directory): one
    /// clear error and exit 1; it used to trap in the train/val split.
    func testPrepWithNoUsableInputIsAnErrorNotATrap() throws {
        let dir = try makeScratchDirectory()
        FileManager.default.createFile(atPath: dir + "/empty.mp4", contents: Data())
        try FileManager.default.createDirectory(atPath: dir + "/nothing", withIntermediateDirectories: true)
        let r = try runVcolor(["prep", dir + "/empty.mp4", dir + "/missing.mp4", dir + "/nothing", "--out", dir + "/out"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no usable input: 3 inputs were skipped"), r.stderr)
    }

    /// Issue 25, cause 4: no command writes over one of its own inputs.
    /// `report --out RUN/metrics.jsonl` used to replace a run's only training
    /// log with HTML and exit 0. Every command that writes is held to what
    /// colorize already was: report (a run's log and sample strip, the eval
    /// JSON), convert (OUT a link to IN), prep (an input named inside --out),
    /// and for each that prints a result, standard output appended to an input
    /// (`>> INPUT`: eval --json, prep --json, convert, colorize). Train cannot
    /// reach its inputs (--init from the run it would write is refused), which
    /// is checked too. Each refusal is one line, before any work, and every input is unchanged.
    func testNoCommandWritesOverItsOwnInput() throws {
        let dir = try makeScratchDirectory()
        let model = dir + "/m.safetensors", clip = dir + "/clip.mp4", data = dir + "/data", run = dir + "/run"
        try FileManager.default.copyItem(atPath: colorizeFixture("tiny-none.safetensors"), toPath: model)
        try SyntheticMedia.encode("testsrc2=size=96x64:rate=25:duration=0.2", to: clip)
        let prep = try runVcolor(["prep", colorizeFixture("input"), "--out", data, "--min-frames", "2", "--val-fraction", "0"])
        XCTAssertEqual(prep.status, 0, prep.stderr)
        let train = try runVcolor(["train", "--data", data, "--run", run, "--base", "2", "--clip", "2", "--batch", "1", "--steps", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        // A sample strip for the report to show (train draws them from validation clips, which this data set has none of).
        try FileManager.default.createDirectory(atPath: run + "/samples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: colorizeFixture("input/frame-1.png"), toPath: run + "/samples/step-00000001.png")
        let eval = try runVcolor(["eval", "--model", model, "--data", data, "--split", "train", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        try eval.stdoutData.write(to: URL(fileURLWithPath: dir + "/eval.json"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.h5", withDestinationPath: model)
        let checkpoint = run + "/checkpoints/step-00000001.h5"

        let inputs = [model, clip, data + "/index.json", data + "/shard-00000.h5", run + "/metrics.jsonl",
                      run + "/samples/step-00000001.png", dir + "/eval.json", checkpoint]
        func contents() throws -> [Data] { try inputs.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } }
        let before = try contents()

        let outputs: [([String], String)] = [
            (["report", run, "--out", run + "/metrics.jsonl"], "\(run)/metrics.jsonl: the output is the input; it would be overwritten, choose another --out"),
            (["report", run, "--out", run + "/samples/step-00000001.png"], "the output is the input"),
            (["report", run, "--eval", dir + "/eval.json", "--out", dir + "/eval.json"], "the output is the input"),
            (["convert", model, dir + "/link.h5"], "\(dir)/link.h5: the output is the input \(model) (the same file under another name)"),
            (["prep", clip, data + "/index.json", "--out", data], "index.json: the output is the input"),
            (["train", "--data", data, "--run", run, "--init", checkpoint, "--steps", "2", "--base", "2", "--clip", "2", "--batch", "1"],
             "already holds checkpoints"),
        ]
        for (arguments, message) in outputs {
            let r = try runVcolor(arguments)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " ") + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains(message), arguments.joined(separator: " ") + ": " + r.stderr)
            XCTAssertNil(oneLineErrorProblem(r), arguments.joined(separator: " "))
        }
        let printed: [([String], String)] = [
            (["eval", "--model", model, "--data", data, "--split", "train", "--json"], model),
            (["eval", "--model", model, "--data", data, "--split", "train", "--json"], data + "/shard-00000.h5"),
            (["prep", clip, "--out", dir + "/data2", "--json"], clip),
            (["convert", model, dir + "/m.h5"], model),
            (["colorize", "--model", model, clip, "--out", dir + "/out.mp4", "--quiet"], clip),
        ]
        for (arguments, input) in printed {
            let r = try runVcolor(arguments, appendingStdoutTo: input)
            let what = arguments.joined(separator: " ") + " >> " + input
            XCTAssertEqual(r.status, 1, what + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("\(input): standard output is this input"), what + ": " + r.stderr)
            XCTAssertNil(oneLineErrorProblem(r), what)
        }
        XCTAssertEqual(try contents(), before, "every input is as it was")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.h5"), model)
        for never in ["/m.h5", "/out.mp4", "/data2"] { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + never), never) }
    }

    /// Issue 25, causes 3 and 16: a folder of PNGs is written like a video, into
    /// a hidden temporary folder renamed when complete, one writer at a time. A
    /// shorter rerun used to leave the longer run's last frames behind its own,
    /// two runs into one folder interleaved their frames (both exit 0), and a
    /// stopped run left its frames while saying the folder was not written.
    func testFramesFolderIsWrittenLikeAVideo() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        func clip(_ name: String, seconds: Double) throws -> String {
            let path = dir + "/" + name
            try SyntheticMedia.encode("testsrc2=size=96x64:rate=25:duration=\(seconds)", to: path)
            return path
        }
        let (six, four, long) = (try clip("six.mp4", seconds: 0.24), try clip("four.mp4", seconds: 0.16), try clip("long.mp4", seconds: 60))
        let frames = dir + "/frames"
        func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: frames).sorted() }
        func hidden() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") } }
        let fourNames = (1...4).map { String(format: "frame-%06d.png", $0) }

        let first = try runVcolor(["colorize", "--model", model, six, "--out", frames, "--quiet"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try names().count, 6)
        let shorter = try runVcolor(["colorize", "--model", model, four, "--out", frames, "--quiet"])
        XCTAssertEqual(shorter.status, 0, shorter.stderr)
        XCTAssertEqual(try names(), fourNames, "no frame of the longer run is left behind")
        XCTAssertEqual(try hidden(), [], "no temporary folder or lock is left")

        // While one colorize writes the folder, a second one is refused; the first, stopped, leaves it as it was.
        let (process, errURL) = try startVcolor(["colorize", "--model", model, long, "--out", frames, "--quiet"], in: dir)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning, !(try hidden()).contains(where: { $0.hasPrefix(".frames.tmp-") }) { usleep(20_000) }
        XCTAssertTrue(process.isRunning, "the long colorize ended early")
        let second = try runVcolor(["colorize", "--model", model, six, "--out", frames, "--quiet"])
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("\(frames): in use by another vcolor colorize (pid \(process.processIdentifier))"), second.stderr)
        XCTAssertNil(oneLineErrorProblem(second))
        usleep(500_000)  // a few frames of the long run are written by now
        guard let stderr = try stopBySIGTERM(process, stderr: errURL, "colorize") else { return }
        XCTAssertTrue(stderr.contains("\(frames) was not written"), stderr)
        XCTAssertEqual(try names(), fourNames, "the stopped run's frames are gone, the earlier folder is whole")
        XCTAssertEqual(try hidden(), [])

        // A folder holding anything but PNG frames is the user's: refused before any work, not replaced.
        try "keep me".write(toFile: frames + "/notes.txt", atomically: true, encoding: .utf8)
        let mixed = try runVcolor(["colorize", "--model", model, six, "--out", frames, "--quiet"])
        XCTAssertEqual(mixed.status, 1, mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains("\(frames) holds notes.txt, not only PNG frames"), mixed.stderr)
        XCTAssertEqual(try names(), fourNames + ["notes.txt"])
    }

    /// Issue 25, cause 15: a colorize killed on the spot (SIGKILL, or a second
    /// Ctrl-C) cannot remove its hidden temporary, and no later run used to.
    /// The next run into the same place removes those whose process is gone (a
    /// live process's is kept): a folder's `.NAME.tmp-PID` beside it, and a
    /// video's chunk being written, `.chunk-N.tmp-PID.EXT` in `NAME.parts`
    /// (there the next run is the same command with --resume: issue 20).
    func testTemporariesOfAKilledColorizeAreRemovedByTheNextRun() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        let long = dir + "/long.mp4", short = dir + "/short.mp4"
        for (path, seconds) in [(long, 60), (short, 0.2)] {
            try SyntheticMedia.encode("testsrc2=size=96x64:rate=25:duration=\(seconds)", to: path)
        }
        func temporaries(_ folder: String, _ prefix: String) throws -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        }
        let alive = ".out.tmp-\(getpid()).mp4"  // this test process's: alive, so not abandoned
        try "a live writer's".write(toFile: dir + "/" + alive, atomically: true, encoding: .utf8)
        let video = dir + "/out.mp4"
        for (out, folder, prefix, next) in [(video, video + ".parts", ".chunk-000000.tmp-", [long, "--out", video, "--resume"]),
                                            (dir + "/frames", dir, ".frames.tmp-", [short, "--out", dir + "/frames"])] {
            let (process, _) = try startVcolor(["colorize", "--model", model, long, "--out", out, "--quiet"], in: dir)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            let mine = prefix + "\(process.processIdentifier)"
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, process.isRunning, !(try temporaries(folder, prefix)).contains(where: { $0.hasPrefix(mine) }) { usleep(20_000) }
            XCTAssertTrue(process.isRunning, "colorize into \(out) ended early")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            usleep(300_000)  // its ffmpeg, orphaned, finishes what it was writing
            XCTAssertTrue(try temporaries(folder, prefix).contains { $0.hasPrefix(mine) }, "the killed run's temporary is there")

            let again = try runVcolor(["colorize", "--model", model, "--quiet"] + next)
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertFalse(try temporaries(folder, prefix).contains { $0.hasPrefix(mine) }, "the next run into \(out) removed it")
        }
        XCTAssertEqual(try temporaries(dir, "."), [alive])
        XCTAssertEqual(try SyntheticMedia.countFrames(video), 1500)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/frames").count, 5)
    }

    /// Issue 25, cause 7: when ffmpeg cannot start encoding, the error says why.
    /// A preset x264 refuses used to be blamed on the ".mp4 file", and a full
    /// disk was "encoding failed (ffmpeg: Error initializing output stream 0:0 --)",
    /// ffmpeg's generic last line. The full disk is a 256 KB tmpfs (skipped where
    /// one cannot be mounted): a video, a folder of frames and an image each name
    /// it, at once, and leave nothing there.
    func testEncoderStartFailuresNameTheirCause() throws {
        let dir = try makeScratchDirectory()
        let model = colorizeFixture("tiny-none.safetensors")
        let input = colorizeFixture("input")
        let preset = try runVcolor(["colorize", "--model", model, input, "--out", dir + "/x.mp4", "--preset", "bogus", "--quiet"])
        XCTAssertEqual(preset.status, 1, preset.stderr)
        XCTAssertTrue(preset.stderr.contains("ffmpeg cannot write libx264 video with --preset bogus (ffmpeg: x264 [error]: invalid preset 'bogus')"),
                      preset.stderr)
        XCTAssertFalse(preset.stderr.contains(".mp4 file"), preset.stderr)
        XCTAssertNil(oneLineErrorProblem(preset))
        let gif = try runVcolor(["colorize", "--model", model, input, "--out", dir + "/x.gif", "--quiet"])
        XCTAssertTrue(gif.stderr.contains("into a .gif file (ffmpeg: GIF muxer supports only a single video GIF stream.)"), gif.stderr)

        let full = dir + "/full"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        let mount = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=256k", "tmpfs", full], timeout: 20)
        if mount.status != 0 {
            throw XCTSkip("cannot mount a 256 KB tmpfs here (needs root or CAP_SYS_ADMIN): \(mount.stderr)")
        }
        addTeardownBlock { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [full], timeout: 20) }
        XCTAssertTrue(FileManager.default.createFile(atPath: full + "/filler", contents: nil))
        let filler = try XCTUnwrap(FileHandle(forWritingAtPath: full + "/filler"))
        while (try? filler.write(contentsOf: Data(count: 16384))) != nil {}
        try? filler.close()
        for (source, out) in [(input, full + "/x.mp4"), (input, full + "/frames"), (input + "/frame-1.png", full + "/one.png")] {
            let r = try runVcolor(["colorize", "--model", model, source, "--out", out, "--quiet"])
            XCTAssertEqual(r.status, 1, "\(out): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("encoding failed (no space left on device)"), "\(out): \(r.stderr)")
            XCTAssertNil(oneLineErrorProblem(r), out)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: full), ["filler"], out)
        }
    }

    /// Starts `vcolor arguments…` in the background (the test signals it while it
    /// runs), its stderr going to `dir`/stderr.txt.
    func startVcolor(_ arguments: [String], in dir: String) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = vcolorBinary()
        process.arguments = arguments
        let errURL = URL(fileURLWithPath: dir + "/stderr.txt")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errURL)
    }

    /// Sends SIGTERM, waits up to 30 s, and checks that `name` died by that
    /// signal; returns its stderr, or nil after recording that it did not stop.
    func stopBySIGTERM(_ process: Process, stderr errURL: URL, _ name: String) throws -> String? {
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(30)
        while process.isRunning && Date() < end { usleep(20_000) }
        guard !process.isRunning else {
            XCTFail("\(name) did not stop within 30 s of SIGTERM")
            return nil
        }
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, stderr)
        XCTAssertEqual(process.terminationStatus, SIGTERM, stderr)
        return stderr
    }
}
