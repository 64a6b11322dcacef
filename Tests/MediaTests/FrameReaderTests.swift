import Foundation
import Media
import TestSupport
import XCTest

/// FrameReader's two ways of reading the pipe (a reader thread, or the caller's
/// own thread with `depth: 0`) give the same frames and the same ending.
final class FrameReaderTests: XCTestCase {
    func frames(_ path: String, depth: Int, threads: Int?) throws -> (frames: [[UInt8]], status: Int32, midFrame: Bool) {
        let reader = try FrameReader(.file(path), width: 32, height: 24, filter: "scale=32:24,format=rgb24",
                                     depth: depth, threads: threads)
        var frames: [[UInt8]] = []
        while let frame = reader.next() { frames.append(Array(UnsafeBufferPointer(start: frame, count: reader.frameBytes))) }
        let result = reader.finish()
        return (frames, result.status, result.endedMidFrame)
    }

    func testDirectReadingGivesTheFramesOfTheReaderThread() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/clip.mp4"
        try SyntheticMedia.video(clip, [.init(source: "testsrc2", frames: 20), .init(source: "mandelbrot", frames: 17)])
        let threaded = try frames(clip, depth: 3, threads: nil)
        let direct = try frames(clip, depth: 0, threads: 1)
        XCTAssertEqual(threaded.frames.count, 37)
        XCTAssertEqual(direct.frames, threaded.frames, "same frames, in the same order, one thread or two")
        XCTAssertEqual([direct.status, threaded.status], [0, 0])
        XCTAssertFalse(direct.midFrame)
        XCTAssertNotEqual(direct.frames[0], direct.frames[36])
    }

    /// A stream that ends inside a frame: both ways report it and keep the whole frames.
    func testDirectReadingReportsAStreamEndingInsideAFrame() throws {
        let dir = try makeScratchDirectory()
        // ffmpeg writes three 32×25 frames (7,200 bytes); read as 32×24 (2,304 a
        // frame) that is three whole frames and an eighth of a fourth.
        let clip = dir + "/three.mp4"
        try SyntheticMedia.video(clip, [.init(source: "testsrc2", frames: 3)])
        for depth in [0, 3] {
            let reader = try FrameReader(.file(clip), width: 32, height: 24, filter: "scale=32:25,format=rgb24", depth: depth)
            var count = 0
            while reader.next() != nil { count += 1 }
            let result = reader.finish()
            XCTAssertEqual(count, 3, "depth \(depth)")
            XCTAssertTrue(result.endedMidFrame, "depth \(depth)")
            XCTAssertEqual(result.status, 0, "depth \(depth)")
        }
    }

    /// A cancelled direct reader, or one finished before the end of its stream,
    /// stops ffmpeg even while ffmpeg is blocked on a full pipe, and returns at
    /// once: 120 frames of 320×240 are 27 MB, far more than the pipe holds.
    func testCancellingOrFinishingADirectReaderEarlyStopsFFmpeg() throws {
        let dir = try makeScratchDirectory()
        let clip = dir + "/long.mp4"
        try SyntheticMedia.video(clip, [.init(source: "testsrc2", frames: 120)], size: "320x240")
        for cancelFirst in [true, false] {
            let reader = try FrameReader(.file(clip), width: 320, height: 240, filter: "format=rgb24", depth: 0)
            XCTAssertNotNil(reader.next())
            Thread.sleep(forTimeInterval: 0.5)  // ffmpeg fills the pipe and blocks
            let done = DispatchSemaphore(value: 0)
            let status = StatusBox()
            Thread.detachNewThread {
                if cancelFirst { reader.cancel() }
                status.value = reader.finish().status
                done.signal()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "cancel \(cancelFirst): ffmpeg still waits on the pipe")
            XCTAssertNotEqual(status.value, 0, "ffmpeg stopped before the end of its stream")
            XCTAssertNil(reader.next(), "no frame after a cancel or finish")
        }
    }
}

private final class StatusBox: @unchecked Sendable { var value: Int32 = 0 }
