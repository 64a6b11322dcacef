import Foundation
import Media
import TestSupport
import XCTest
@testable import DataPrep

/// The scene-cut detector on a small labelled set made with ffmpeg's sources (the
/// synthetic version of the real-footage set of docs/dataprep.md): hard cuts
/// between different shots, jump cuts within one moving shot (near-identical
/// histograms), and moving shots with no cut.
final class SceneCutTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeScratchDirectory() }

    func testLabelledSyntheticSetFindsEveryCutAndNoOther() throws {
        XCTAssertEqual(try SyntheticMedia.labelledCuts(dir + "/cuts.mp4"), [30, 60, 90, 120])
        // Moving shots without a cut: a zoom and a moving test pattern.
        try SyntheticMedia.video(dir + "/still-zoom.mp4", [.init(source: "mandelbrot", frames: 90)])
        try SyntheticMedia.video(dir + "/still-pattern.mp4", [.init(source: "testsrc2", frames: 90)])
        var o = PrepOptions(inputs: [dir + "/cuts.mp4", dir + "/still-pattern.mp4", dir + "/still-zoom.mp4"], output: dir + "/data")
        o.progress = false
        o.valFraction = 0
        o.minFrames = 1
        _ = try Prep.run(o)
        let index = try DatasetIndex.load(dir + "/data")
        var starts: [String: [Int]] = [:]
        for s in index.sequences { starts[s.source, default: []].append(s.firstFrame) }
        XCTAssertEqual(starts["cuts.mp4"], [0, 30, 60, 90, 120], "the jump cuts at 30 and 90 have histograms that hardly change")
        XCTAssertEqual(starts["still-pattern.mp4"], [0])
        XCTAssertEqual(starts["still-zoom.mp4"], [0])
    }
}
