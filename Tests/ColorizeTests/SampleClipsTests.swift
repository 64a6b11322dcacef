import Foundation
import Media
import TestSupport
import XCTest
@testable import Colorize

/// The quickstart's footage is the same every time, so its numbers compare
/// across runs and machines (a random source without a seed once made the
/// joined clip, and so the quickstart's PSNR, differ from run to run).
final class SampleClipsTests: XCTestCase {
    func frames(_ path: String) throws -> [[UInt8]] {
        let reader = try FrameReader(.file(path), width: 64, height: 48)
        var frames: [[UInt8]] = []
        while let frame = reader.next() { frames.append(Array(UnsafeBufferPointer(start: frame, count: reader.frameBytes))) }
        try reader.finishOrThrow()
        return frames
    }

    func testEveryClipIsTheSameEachTimeItIsMade() throws {
        let dir = try makeScratchDirectory()
        for clip in SampleClips.training + [SampleClips.heldOut] {
            var made: [[[UInt8]]] = []
            for attempt in 0..<2 {
                let path = dir + "/\(clip.name)-\(attempt).mp4"
                try SampleClips.make(clip, to: path, width: 64, height: 48, rate: 24, frames: 48)
                made.append(try frames(path))
            }
            XCTAssertEqual(made[0].count, 48 * clip.sources.count, clip.name)
            XCTAssertTrue(made[0] == made[1], "\(clip.name) differs between two makes")
        }
    }
}
