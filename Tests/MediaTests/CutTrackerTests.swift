import Media
import XCTest

/// The scene-cut look-ahead prep and colorize share: a frame's cut decision
/// waits for the score after it, so a fade (a run of similar scores) is no cut
/// and a lone peak is.
final class CutTrackerTests: XCTestCase {
    /// Feeds `scores` (score[t] = distance between frames t−1 and t) and returns
    /// the decision for every frame, in order, as the callers receive them.
    func decisions(_ scores: [Double], tracker: inout CutTracker) -> [Bool] {
        var out: [Bool] = []
        for s in scores { if let d = tracker.push(score: histogram(s)) { out.append(d) } }
        if let d = tracker.finish() { out.append(d) }
        return out
    }

    /// A score of the histogram rule alone (the block rule's score 0 never fires).
    func histogram(_ score: Double) -> SceneCutDetector.Score { SceneCutDetector.Score(histogram: score, blocks: 0) }

    func testALonePeakIsACutAndAFadeIsNot() {
        var tracker = CutTracker(detector: SceneCutDetector())
        XCTAssertEqual(decisions([0, 0.1, 0.9, 0.1, 0.1], tracker: &tracker), [false, false, true, false, false])
        XCTAssertEqual(tracker.cuts, 1)
        XCTAssertEqual(decisions([0, 0.5, 0.5, 0.5], tracker: &tracker), [false, false, false, false],
                       "a dissolve scores alike on every step")
        XCTAssertEqual(tracker.cuts, 1)
    }

    func testTheLastFrameIsDecidedAtFinishWithNothingAfterIt() {
        var tracker = CutTracker(detector: SceneCutDetector())
        XCTAssertEqual(decisions([0, 0.05, 0.9], tracker: &tracker), [false, false, true])
        XCTAssertEqual(tracker.cuts, 1)
    }

    func testEachStreamStartsAfresh() {
        var tracker = CutTracker(detector: SceneCutDetector())
        XCTAssertNil(tracker.finish(), "no frames, no decision")
        XCTAssertNil(tracker.push(score: histogram(0.9)), "the first frame of a stream has nothing before it")
        XCTAssertEqual(tracker.push(score: histogram(0)), false)
        XCTAssertEqual(tracker.finish(), false)
        XCTAssertNil(tracker.push(score: histogram(0.9)), "finish started a new stream")
    }
}
