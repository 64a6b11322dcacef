import Foundation
import Media
import TestSupport
import XCTest
@testable import Colorize

/// `vcolor report`: reading the trainer's log, downsampling, escaping, and the
/// page as a real browser (headless Chromium) builds it.
final class ReportTests: XCTestCase {
    func testDownsamplingKeepsEveryStretchsExtremesWithinTheBound() {
        var s = Series()
        for i in 0..<100_000 { s.append(Double(i + 1), Double(i % 7)) }
        s.y[54_321] = 1000   // a spike
        s.y[77_777] = -5     // a dip
        let d = s.downsampled(maxPoints: 1000)
        XCTAssertLessThanOrEqual(d.count, 1000)
        XCTAssertGreaterThan(d.count, 900)
        XCTAssertTrue(zip(d.x, d.y).contains { $0 == 54_322 && $1 == 1000 })
        XCTAssertTrue(zip(d.x, d.y).contains { $0 == 77_778 && $1 == -5 })
        XCTAssertEqual(d.x, d.x.sorted())
        XCTAssertEqual(d.y.max(), 1000)
        XCTAssertEqual(d.y.min(), -5)
        // Short curves are left as they are.
        let short = Series(x: [1, 2, 3], y: [3, 1, 2])
        XCTAssertEqual(short.downsampled(maxPoints: 1000), short)
        // Smoothing keeps a constant curve and its length.
        let flat = Series(x: (1...500).map(Double.init), y: [Double](repeating: 2.5, count: 500)).smoothed()
        XCTAssertEqual(flat.count, 500)
        for v in flat.y { XCTAssertEqual(v, 2.5, accuracy: 1e-12) }
    }

    /// A 100,000-step run: every curve on the page has at most 1,000 points and
    /// the page stays small. (Its time is measured by hand, docs/colorize.md.)
    func testALongRunGivesASmallPage() throws {
        var log = ""
        log.reserveCapacity(100_000 * 150)
        for step in 1...100_000 {
            let v = Double(step % 997) / 997
            log += #"{"event":"step","step":\#(step),"loss_d":\#(0.5 + v),"loss_g":\#(10 - v),"loss_g_gan":\#(1 + v),"loss_g_l1":\#(0.1 * v),"step_s":1,"allreduce_s":\#(v),"frames_per_s":\#(60 + v),"rank_compute_s":[\#(0.5 + v),0.5,\#(0.5 - v / 4)]}"# + "\n"
            if step % 500 == 0 { log += #"{"event":"validation","step":\#(step),"val_l1":0.1,"val_psnr":\#(20 + v)}"# + "\n" }
        }
        var run = RunHistory(path: "runs/long", name: "long")
        Array(log.utf8).withUnsafeBufferPointer { run.read(jsonLines: $0) }
        XCTAssertEqual(run.lossD.count, 100_000)
        XCTAssertEqual(run.validationPSNR.count, 200)
        XCTAssertEqual(run.skippedLines, 0)
        let page = ReportPage(runs: [run], eval: nil).html()
        XCTAssertLessThan(page.utf8.count, 400_000, "page of \(page.utf8.count) bytes")
        let paths = page.components(separatedBy: "<path class=\"data").dropFirst()
        XCTAssertEqual(paths.count, 15, "14 training curves and the median rank's compute time")
        for path in paths {
            let d = path.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
            XCTAssertLessThanOrEqual(d.filter { $0 == "L" }.count + 1, ReportPage.maxPoints)
        }
        // The band: both ends, at most maxPoints points each.
        let band = try XCTUnwrap(page.components(separatedBy: "<path class=\"band\"").dropFirst().first)
        let d = band.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
        XCTAssertLessThanOrEqual(d.filter { $0 == "L" }.count + 1, 2 * ReportPage.maxPoints)
        XCTAssertTrue(d.hasSuffix("Z"))
    }

    func testReadsTheTrainersLinesAndCountsUnreadableOnes() throws {
        let run = try makeScratchDirectory() + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let lines = [
            #"{"allreduce_s":0.25,"epoch":0,"event":"step","frames_per_s":16,"loss_d":0.7,"loss_g":12.5,"loss_g_gan":0.5,"loss_g_l1":0.12,"rank_compute_s":[1,{"step":99}],"ranks":2,"slowest_rank":1,"step":1,"step_s":1,"time":1}"#,
            #"{"event": "step", "step": 2, "loss_d": 0.6, "loss_g": 1.1e1, "loss_g_gan": 0.6, "loss_g_l1": 0.104, "step_s": 2.0, "allreduce_s": 0.5, "frames_per_s": 8}"#,
            #"{"clips":4,"epoch":0,"event":"validation","step":2,"time":3,"val_l1":0.2,"val_psnr":17.5}"#,
            #"{"event":"checkpoint","path":"x/checkpoints/step-00000002.h5","step":2,"time":4}"#,
            #"{"event":"hyperparameters","step":2,"time":5}"#,   // a newer version's event: passed over, not unreadable
            #"{"event":"step","loss_d":0.4,"loss_g":1,"loss_g_gan":1,"loss_g_l1":1,"step":4,"step_s":0."#,   // cut short, every loss read
            #"{"event":"step","step":3,"loss_d":0.5,"loss_g":"#,   // cut short by a crash
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: run + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let history = try RunHistory.load(run)
        XCTAssertEqual(history.name, "run")
        XCTAssertEqual(history.lossD, Series(x: [1, 2], y: [0.7, 0.6]))
        XCTAssertEqual(history.lossG.y, [12.5, 11])
        XCTAssertEqual(history.lossGAN.y, [0.5, 0.6])
        XCTAssertEqual(history.lossL1.y, [0.12, 0.104])
        XCTAssertEqual(history.framesPerSecond.y, [16, 8])
        XCTAssertEqual(history.allReduceShare.y, [25, 25])
        XCTAssertEqual(history.validationPSNR, Series(x: [2], y: [17.5]))
        XCTAssertEqual(history.validationL1.y, [0.2])
        XCTAssertEqual(history.skippedLines, 2)
        XCTAssertNil(history.sample)

        XCTAssertThrowsError(try RunHistory.load(run + "/nothing")) { XCTAssertTrue("\($0)".contains("no such run directory"), "\($0)") }
        XCTAssertThrowsError(try RunHistory.load(run + "/..")) { XCTAssertTrue("\($0)".contains("no metrics.jsonl"), "\($0)") }
    }

    /// `rank_compute_s` (seconds by rank) becomes the band from the fastest to
    /// the slowest rank, the median rank's line, and per step the slowest rank
    /// and its excess over the median; a resumed step replaces the older one.
    /// A malformed array drops only the step's rank numbers.
    func testPerRankComputeTimesGiveTheBandTheMedianAndTheSlowestRank() throws {
        func step(_ n: Int, _ ranks: String) -> String {
            #"{"event":"step","step":\#(n),"loss_d":1,"loss_g":1,"loss_g_gan":1,"loss_g_l1":1,"rank_compute_s":\#(ranks)}"#
        }
        let log = [step(1, "[1,2,4,3]"), step(2, "[ 2 , 1.5e0 ,1 ]"), step(3, "[3,3,1,2]"), step(4, "[0.5,0.5,1,2]"),
                   step(3, "[1,6,1,2]"),   // resumed from step 2: replaces steps 3 and 4
                   step(4, "[1,]"), step(5, "[1 2]"), step(6, "[1,\"x\"]"), step(7, "[]"), step(8, "[1e999,1]"),
                   step(9, "[2]")].joined(separator: "\n") + "\n"
        var run = RunHistory(path: "runs/ranks", name: "ranks")
        Array(log.utf8).withUnsafeBufferPointer { run.read(jsonLines: $0) }
        XCTAssertEqual(run.skippedLines, 0)
        XCTAssertEqual(run.lossD.x, [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(run.rankCompute.low, Series(x: [1, 2, 3, 9], y: [1, 1, 1, 2]))
        XCTAssertEqual(run.rankCompute.high, Series(x: [1, 2, 3, 9], y: [4, 2, 6, 2]))
        XCTAssertEqual(run.rankComputeMedian, Series(x: [1, 2, 3, 9], y: [2.5, 1.5, 1.5, 2]))
        // One rank has no slowest.
        XCTAssertEqual(run.slowestRank, Series(x: [1, 2, 3], y: [2, 0, 1]))
        XCTAssertEqual(run.slowestExcess.x, [1, 2, 3])
        for (a, b) in zip(run.slowestExcess.y, [0.6, 1.0 / 3, 3] as [Double]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // Ties go to the first rank, as the trainer's slowest_rank.
        var tie = RunHistory(path: "t", name: "t")
        Array((step(1, "[1,3,3]") + "\n").utf8).withUnsafeBufferPointer { tie.read(jsonLines: $0) }
        XCTAssertEqual(tie.slowestRank.y, [1])
        // A 2-rank run resumed from step 1 on one rank: its step 2 replaces the old attempt's slowest rank too.
        var regrouped = RunHistory(path: "g", name: "g")
        Array(([step(1, "[1,2]"), step(2, "[2,1]"), step(2, "[3]")].joined(separator: "\n") + "\n").utf8)
            .withUnsafeBufferPointer { regrouped.read(jsonLines: $0) }
        XCTAssertEqual(regrouped.slowestRank, Series(x: [1], y: [1]))
        XCTAssertEqual(regrouped.slowestExcess.x, [1])
        // A crafted log whose median rank computed for 1e-300 s: the table says a huge excess, and does not trap.
        var crafted = RunHistory(path: "c", name: "c")
        Array((step(1, "[1e-300,1e-300,1]") + "\n").utf8).withUnsafeBufferPointer { crafted.read(jsonLines: $0) }
        XCTAssertTrue(RankSection(runs: [crafted], colours: ["#000"]).table().contains("<td>+1000000000 %</td>"))
    }

    /// The ranks that were the slowest most often, with their median excess,
    /// in the table under the compute-time chart; a log without per-rank
    /// times, or of one rank, has no ranks section.
    func testTheRanksSectionNamesTheSlowestMostOften() throws {
        var lines: [String] = []
        for n in 1...20 {
            // Rank 3 is the slowest in 14 steps (by 50 % over the median, then 100 %), rank 0 in 6.
            let ranks = n <= 6 ? "[2,1,1,1]" : n <= 13 ? "[1,1,1,1.5]" : "[1,1,1,2]"
            lines.append(#"{"event":"step","step":\#(n),"loss_d":1,"loss_g":1,"loss_g_gan":1,"loss_g_l1":1,"rank_compute_s":\#(ranks)}"#)
        }
        var run = RunHistory(path: "runs/r", name: "r")
        Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBufferPointer { run.read(jsonLines: $0) }
        XCTAssertEqual(RankSection.stragglers(run), [.init(rank: 3, steps: 14, of: 20, medianExcess: 0.75),
                                                     .init(rank: 0, steps: 6, of: 20, medianExcess: 1)])
        let html = ReportPage(runs: [run], eval: nil).html()
        XCTAssertTrue(html.contains("<h2>Ranks</h2>"))
        XCTAssertTrue(html.contains("<svg class=\"chart\" id=\"rank-compute\""))
        let rows = try XCTUnwrap(html.components(separatedBy: "<table class=\"eval ranks\">").dropFirst().first)
            .components(separatedBy: "</tbody>")[0].components(separatedBy: "<tr>").dropFirst(2)
        XCTAssertEqual(Array(rows), ["<td class=\"name\">r</td><td>3</td><td>14 of 20 (70 %)</td><td>+75 %</td></tr>",
                                     "<td class=\"name\">r</td><td>0</td><td>6 of 20 (30 %)</td><td>+100 %</td></tr>"])

        var old = RunHistory(path: "runs/old", name: "old")
        old.lossD = Series(x: [1, 2], y: [0.7, 0.6])
        XCTAssertFalse(ReportPage(runs: [old], eval: nil).html().contains("<h2>Ranks</h2>"))
        var one = RunHistory(path: "runs/one", name: "one")
        Array((lines[0].replacingOccurrences(of: "[2,1,1,1]", with: "[2]") + "\n").utf8).withUnsafeBufferPointer { one.read(jsonLines: $0) }
        XCTAssertEqual(one.rankCompute.count, 1)
        XCTAssertFalse(ReportPage(runs: [one], eval: nil).html().contains("<h2>Ranks</h2>"), "one rank: no one to compare")
    }

    /// The band keeps every stretch's lowest low and highest high, and spans the run.
    func testBandDownsamplingKeepsTheWholeRange() {
        var band = Band()
        for i in 0..<10_000 { band.append(Double(i + 1), low: 1, high: 2) }
        band.append(5_000, low: 1, high: 50)   // a resumed step 5000 replaces 5000…10000
        for i in 5_000..<10_000 { band.append(Double(i + 1), low: i == 7_777 ? -3 : 1, high: 2) }
        let d = band.downsampled(maxPoints: 100)
        XCTAssertLessThanOrEqual(d.count, 100)
        XCTAssertEqual(d.low.x, d.high.x)
        XCTAssertEqual(d.low.x.first, 1)
        XCTAssertEqual(d.low.x.last, 10_000)
        XCTAssertEqual(d.high.y.max(), 50)
        XCTAssertEqual(d.low.y.min(), -3)
        XCTAssertEqual(d.low.x, d.low.x.sorted())
        XCTAssertEqual(Band().downsampled(maxPoints: 100), Band())
    }

    /// A run resumed from its step-2 checkpoint after dying at step 4 logs
    /// steps 3 and 4 again to the same metrics.jsonl: the newer attempt wins
    /// and every curve stays in step order, each step once.
    func testAResumedRunsRepeatedStepsAreReplacedByTheNewerAttempt() throws {
        func step(_ n: Int, _ d: Double) -> String {
            #"{"event":"step","step":\#(n),"loss_d":\#(d),"loss_g":1,"loss_g_gan":1,"loss_g_l1":1,"step_s":1,"allreduce_s":0.5,"frames_per_s":8}"#
        }
        func validation(_ n: Int, _ psnr: Double) -> String {
            #"{"event":"validation","step":\#(n),"val_l1":0.1,"val_psnr":\#(psnr)}"#
        }
        let log = [step(1, 0.9), step(2, 0.8), validation(2, 15), step(3, 0.7), step(4, 0.6), validation(4, 16),
                   // resumed from step 2
                   step(3, 0.5), step(4, 0.4), validation(4, 17), step(5, 0.3)].joined(separator: "\n") + "\n"
        var run = RunHistory(path: "runs/resumed", name: "resumed")
        Array(log.utf8).withUnsafeBufferPointer { run.read(jsonLines: $0) }
        XCTAssertEqual(run.lossD, Series(x: [1, 2, 3, 4, 5], y: [0.9, 0.8, 0.5, 0.4, 0.3]))
        XCTAssertEqual(run.allReduceShare.x, [1, 2, 3, 4, 5])
        XCTAssertEqual(run.validationPSNR, Series(x: [2, 4], y: [15, 17]))
        XCTAssertEqual(run.skippedLines, 0)
    }

    /// A curve whose values differ by two ulps at 10⁶ gets a tick step far
    /// below an ulp: the ticks still end, few and inside the range.
    func testTicksEndWhenTheStepIsBelowAnUlp() {
        let lo = 1e6, hi = lo.nextUp.nextUp
        let ticks = ChartFrame.ticks(lo, hi, count: 5)
        XCTAssertFalse(ticks.isEmpty)
        XCTAssertLessThanOrEqual(ticks.count, 50)
        // ceil(lo / step) · step may round an ulp outside the range.
        for t in ticks { XCTAssertTrue(t >= lo.nextDown.nextDown && t <= hi.nextUp.nextUp, "\(t)") }
        // An ordinary range is unchanged: 0, 2, …, 10.
        XCTAssertEqual(ChartFrame.ticks(0, 10, count: 5), [0, 2, 4, 6, 8, 10])
    }

    func testTextIsEscapedAndTheBestOfEachColumnIsMarked() throws {
        var run = RunHistory(path: "runs/<q>&\"x'", name: "<q>&\"x'")
        run.lossD = Series(x: [1, 2], y: [0.7, 0.6])
        let page = ReportPage(runs: [run], eval: sampleEval(model: "m/<i>.h5")).html()
        XCTAssertFalse(page.contains("<q>"), "unescaped run name")
        XCTAssertFalse(page.contains("<i>.h5"), "unescaped model name")
        XCTAssertTrue(page.contains("&lt;q&gt;&amp;&quot;x&#39;"))
        XCTAssertFalse(page.contains("<script"))
        XCTAssertFalse(page.contains("http://") && page.contains("src=\"http"), "nothing is fetched")
        // The model wins PSNR, SSIM, Δa*b*, flicker; grey wins CDC; colourfulness nearest the truth (30): model's 20 vs grey's 0,
        // so the model's gap (10) beats grey's (30); the sample has no mean a*, b* (an older report): no best.
        let eval = EvalSection(report: sampleEval(model: "m.h5"))
        XCTAssertEqual(eval.columns.map(\.heading), ["PSNR (dB)", "SSIM", "Δa*b*", "colourfulness", "colourfulness gap",
                                                     "mean a*", "mean b*", "flicker", "CDC"])
        XCTAssertEqual(eval.columns.map { eval.bestRow($0) }, [0, 0, 0, 0, 0, nil, nil, 0, 1])
        // The truth row follows the columns: empty where a column compares with the truth,
        // its own value where it has one, "–" where that value is missing (no mean a*, b* here).
        let html = eval.table()
        let truthRow = try XCTUnwrap(html.range(of: "<tr class=\"truth\">").map { String(html[$0.upperBound...]) })
        let cells = truthRow.components(separatedBy: "</tr>")[0].components(separatedBy: "<td>").dropFirst(2)
            .map { $0.replacingOccurrences(of: "</td>", with: "") }
        XCTAssertEqual(Array(cells), ["", "", "", "30.0", "0.0", "–", "–", "+0.000", "0.00500"])
    }

    /// The page of a tiny run, as Chromium parses it: every chart is an SVG with
    /// drawn data, the eval table has its rows, the sample strip is inline.
    func testRendersInHeadlessChromium() throws {
        guard let chromium = Self.chromium() else {
            throw XCTSkip("headless Chromium is not installed (scripts/setup.sh --tests installs Debian's chromium); the report's rendering is not checked")
        }
        let dir = try makeScratchDirectory()
        let run = dir + "/tiny-run"
        try FileManager.default.createDirectory(atPath: run + "/samples", withIntermediateDirectories: true)
        var log = ""
        for step in 1...40 {
            log += #"{"allreduce_s":0.01,"event":"step","frames_per_s":\#(20 + step % 3),"loss_d":\#(0.7 - Double(step) * 0.005),"loss_g":\#(20 - Double(step) * 0.3),"loss_g_gan":0.9,"loss_g_l1":\#(0.19 - Double(step) * 0.003),"rank_compute_s":[0.4,\#(0.4 + Double(step % 5) * 0.01)],"step":\#(step),"step_s":0.5}"# + "\n"
            if step % 10 == 0 { log += #"{"event":"validation","step":\#(step),"val_l1":\#(0.2 - Double(step) * 0.002),"val_psnr":\#(15 + Double(step) * 0.1)}"# + "\n" }
        }
        try log.write(toFile: run + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let writer = try FrameWriter(image: run + "/samples/step-00000040.png", width: 12, height: 8)
        let pixels = (0..<(12 * 8 * 3)).map { UInt8($0 % 256) }
        try pixels.withUnsafeBufferPointer { try writer.write($0.baseAddress!) }
        try writer.finish()
        let evalPath = dir + "/eval.json"
        try JSONEncoder().encode(sampleEval(model: "tiny-run/checkpoints/step-00000040.h5")).write(to: URL(fileURLWithPath: evalPath))
        let page = dir + "/report.html"
        try Report.write(runs: [run], eval: evalPath, to: page)

        let dom = try Self.dumpDOM(chromium, page, profile: dir + "/chromium-profile")
        XCTAssertEqual(dom.components(separatedBy: "<svg class=\"chart\"").count - 1, 11, "8 training charts, compute time per rank, 2 per-sequence charts")
        // Every drawn curve has a path of at least two points.
        let paths = try NSRegularExpression(pattern: #"<path class="data[^"]*" stroke="[^"]+" d="M[0-9.]+,[0-9.]+(L[0-9.]+,[0-9.]+)+""#)
            .numberOfMatches(in: dom, range: NSRange(dom.startIndex..., in: dom))
        XCTAssertEqual(paths, 15, "raw and smoothed curves of 4 losses, throughput and all-reduce share; 2 validation curves; the median rank")
        let bands = try NSRegularExpression(pattern: #"<path class="band" fill="[^"]+" d="M[0-9.]+,[0-9.]+(L[0-9.]+,[0-9.]+)+Z""#)
            .numberOfMatches(in: dom, range: NSRange(dom.startIndex..., in: dom))
        XCTAssertEqual(bands, 1, "the band from the fastest to the slowest rank")
        XCTAssertTrue(dom.contains("<td class=\"name\">tiny-run</td><td>1</td>"), "rank 1 named the slowest")
        XCTAssertGreaterThanOrEqual(dom.components(separatedBy: "<circle class=\"data\"").count - 1, 8, "validation points")
        XCTAssertGreaterThanOrEqual(dom.components(separatedBy: "<rect class=\"data\"").count - 1, 10, "per-sequence bars")
        XCTAssertTrue(dom.contains("<table class=\"eval\">"), dom)
        for row in ["<td class=\"name\">tiny-run/checkpoints/step-00000040.h5</td>", "<td class=\"name\">grey</td>",
                    "<td class=\"name\">truth</td>", "<td class=\"best\" title=\"best\">24.00 ★</td>"] {
            XCTAssertTrue(dom.contains(row), row)
        }
        XCTAssertTrue(dom.contains("src=\"data:image/png;base64,iVBORw0KGgo"), "the sample strip inline")
    }

    func sampleEval(model: String) -> EvalReport {
        let sequences = ["s1", "s2", "s3"]
        func rows(_ psnr: Double, _ flicker: Double, _ cdc: Double) -> [SequenceScores] {
            sequences.enumerated().map { SequenceScores(id: $1, frames: 8, psnr: psnr, abError: 10, flicker: flicker + Double($0), cdc: cdc * Double($0 + 1)) }
        }
        return EvalReport(
            data: "data", split: "val", sequences: 3, frames: 24, width: 128, height: 128,
            models: [ModelScores(model: model, temporal: "lstm", frames: 24, psnr: 24, ssim: 0.8, abError: 9,
                                 colourfulness: 20, outputChange: 2, flicker: 0.5, cdc: 0.004, sequences: rows(24, 0.5, 0.004))],
            grey: ModelScores(model: "grey", temporal: "grey", frames: 24, psnr: 14, ssim: 0.6, abError: 40,
                              colourfulness: 0, outputChange: 0, flicker: -1.5, cdc: 0.002, sequences: rows(14, -1.5, 0.002)),
            truth: TruthScores(colourfulness: 30, change: 1.5, cdc: 0.005,
                               sequences: sequences.map { .init(id: $0, frames: 8, change: 1.5, cdc: 0.005) }))
    }

    /// Debian's `chromium` (or $VCOLOR_CHROMIUM), nil when absent.
    static func chromium() -> String? {
        if let path = ProcessInfo.processInfo.environment["VCOLOR_CHROMIUM"] { return path }
        return (executableOnPath("chromium") ?? executableOnPath("chromium-browser"))?.path
    }

    /// The DOM Chromium builds from `page`, serialised (`--dump-dom`); at most 120 s.
    static func dumpDOM(_ chromium: String, _ page: String, profile: String) throws -> String {
        let result = try runProcess(URL(fileURLWithPath: chromium),
                                    ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
                                     "--dump-dom", URL(fileURLWithPath: page).absoluteString], timeout: 120)
        XCTAssertEqual(result.status, 0, "chromium --dump-dom failed: \(result.stderr)")
        return result.stdout
    }
}
