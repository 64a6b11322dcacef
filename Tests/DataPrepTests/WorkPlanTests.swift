import XCTest
@testable import DataPrep
@testable import Media

/// How prep shares out its inputs and the cores.
final class WorkPlanTests: XCTestCase {
    func info(_ width: Int, _ height: Int, frames: Int?) -> MediaInfo {
        var info = MediaInfo(width: width, height: height, frameRate: "25/1", fps: 25, codec: "h264", format: "mp4")
        info.estimatedFrames = frames
        return info
    }

    func testCostliestInputsComeFirstAndTiesKeepInputOrder() {
        let infos = [info(320, 240, frames: 100),   // 7.7 M pixels
                     info(768, 576, frames: 795),   // 352 M: the long film
                     info(640, 480, frames: 25),    // 7.7 M: ties with 0
                     info(96, 64, frames: nil),     // unknown length counts as one frame
                     info(640, 480, frames: 456)]   // 140 M
        XCTAssertEqual(WorkPlan.longestFirst([0, 1, 2, 3, 4], of: infos), [1, 4, 0, 2, 3])
        // Only the inputs still to do, whatever order they are given in.
        XCTAssertEqual(WorkPlan.longestFirst([3, 0, 2], of: infos), [0, 2, 3])
        XCTAssertEqual(WorkPlan.longestFirst([], of: infos), [])
    }

    func testFFmpegThreadsShareTheCoresAmongTheWorkers() {
        XCTAssertEqual(WorkPlan.ffmpegThreads(workers: 2, cores: 2), 1)
        XCTAssertEqual(WorkPlan.ffmpegThreads(workers: 1, cores: 2), 2, "a single input still gets every core")
        XCTAssertEqual(WorkPlan.ffmpegThreads(workers: 4, cores: 16), 4)
        XCTAssertEqual(WorkPlan.ffmpegThreads(workers: 8, cores: 2), 1)
        XCTAssertEqual(WorkPlan.ffmpegThreads(workers: 0, cores: 2), 2)
    }
}
