import DataPrep
import Foundation
import Net
import XCTest
@testable import Distributed

/// Frames computed from (sequence, frame, byte), with a read counter and an
/// optional delay to make the background thread's work observable.
final class SyntheticFrames: FrameSource {
    let size: Int
    var reads = 0
    var delay: useconds_t = 0
    let lock = NSLock()

    init(size: Int) { self.size = size }

    static func byte(_ id: String, _ frame: Int, _ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: id.utf8.reduce(0) { $0 &+ Int($1) } &+ frame &* 31 &+ i &* 7 &+ (i / 97))
    }

    func readFrames(_ id: String, start: Int, count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) throws {
        if delay > 0 { usleep(delay) }
        lock.lock(); reads += 1; lock.unlock()
        let frameBytes = 3 * size * size
        precondition(buffer.count == count * frameBytes)
        for f in 0..<count {
            for i in 0..<frameBytes { buffer[f * frameBytes + i] = Self.byte(id, start + f, i) }
        }
    }
}

final class ClipLoaderTests: XCTestCase {
    let S = 4, T = 3
    lazy var sequences = [ClipSequence(id: "00000", shard: "a.h5", frames: 10),
                          ClipSequence(id: "00001", shard: "b.h5", frames: 7)]

    func makeLoader(_ frames: SyntheticFrames, capacity: Int = 2) -> (ClipLoader, () -> [String]) {
        var opened: [String] = []
        let lock = NSLock()
        let shards = ShardSet(directory: "/data") { path in
            lock.lock(); opened.append(path); lock.unlock()
            return frames
        }
        let loader = ClipLoader(sequences: sequences, shards: shards, frameSize: S, clipLength: T, capacity: capacity)
        return (loader, { lock.lock(); defer { lock.unlock() }; return opened })
    }

    /// What the tensors must hold for `clips`, computed independently through LabCodec's tables' definition.
    func expected(_ clips: [Clip]) -> (L: [Float], ab: [Float]) {
        var L: [Float] = [], ab: [Float] = []
        let pixels = S * S
        for clip in clips {
            for t in 0..<T {
                let f = clip.startFrame + t
                for p in 0..<pixels { L.append(Float(Double(SyntheticFrames.byte(clip.sequenceID, f, p)) * 100 / 255 / 50 - 1)) }
                for p in 0..<(2 * pixels) {
                    ab.append(Float((Double(SyntheticFrames.byte(clip.sequenceID, f, pixels + p)) - 128) / 110))
                }
            }
        }
        return (L, ab)
    }

    func clip(_ s: Int, _ start: Int) -> Clip { Clip(sequenceIndex: s, sequenceID: sequences[s].id, startFrame: start) }

    func testSynchronousLoadConvertsLab8() throws {
        let frames = SyntheticFrames(size: S)
        let (loader, opened) = makeLoader(frames)
        let clips = [clip(1, 4), clip(0, 2)]
        let batch = try loader.load(clips)
        XCTAssertEqual(batch.L.shape, Shape(2 * T, 1, S, S))
        XCTAssertEqual(batch.ab.shape, Shape(2 * T, 2, S, S))
        let e = expected(clips)
        XCTAssertEqual(batch.L.toArray(), e.L)
        XCTAssertEqual(batch.ab.toArray(), e.ab)
        XCTAssertEqual(batch.clips, clips)
        XCTAssertEqual(opened(), ["/data/b.h5", "/data/a.h5"])

        // A smaller batch reuses the same storage.
        let pointer = batch.L.data
        let one = try loader.load([clip(0, 0)])
        XCTAssertEqual(one.L.shape.n, T)
        XCTAssertEqual(one.L.data, pointer)
        XCTAssertEqual(one.L.toArray(), expected([clip(0, 0)]).L)
        _ = try loader.load([clip(0, 7)])
        XCTAssertEqual(opened().count, 2, "each shard is opened once")
    }

    func testPrefetchAlternatesSlotsAndKeepsTheCurrentBatch() throws {
        let frames = SyntheticFrames(size: S)
        frames.delay = 2_000
        let (loader, _) = makeLoader(frames)
        let plan: [[Clip]] = [[clip(0, 0), clip(1, 0)], [clip(0, 3), clip(1, 4)], [clip(0, 6), clip(1, 1)], [clip(0, 7), clip(0, 1)]]
        loader.prefetch(plan[0])
        var pointers = Set<UnsafeMutablePointer<Float>>()
        for (i, clips) in plan.enumerated() {
            let batch = try loader.next()
            if i + 1 < plan.count { loader.prefetch(plan[i + 1]) }
            // The batch being computed on must not change while the next one loads.
            let snapshot = batch.L.toArray() + batch.ab.toArray()
            usleep(20_000)
            XCTAssertEqual(batch.L.toArray() + batch.ab.toArray(), snapshot, "batch \(i) was overwritten")
            let e = expected(clips)
            XCTAssertEqual(batch.L.toArray(), e.L, "batch \(i)")
            XCTAssertEqual(batch.ab.toArray(), e.ab, "batch \(i)")
            XCTAssertEqual(batch.clips, clips)
            pointers.insert(batch.L.data)
            pointers.insert(batch.ab.data)
        }
        XCTAssertEqual(pointers.count, 4, "two slots of two tensors, reused (no allocation after the first batches)")
        XCTAssertEqual(frames.reads, 8)
    }

    func testErrorsSurfaceFromNext() throws {
        let (loader, _) = makeLoader(SyntheticFrames(size: S))
        loader.prefetch([clip(1, 5)])  // 5 + 3 > 7 frames
        XCTAssertThrowsError(try loader.next()) {
            XCTAssertTrue(String(describing: $0).contains("runs past sequence 00001 (7 frames)"), "\($0)")
        }
        // The loader still works afterwards.
        loader.prefetch([clip(1, 4)])
        XCTAssertEqual(try loader.next().L.toArray(), expected([clip(1, 4)]).L)

        let failing = ShardSet(directory: "/d") { path in throw DataError("\(path): cannot open") }
        let broken = ClipLoader(sequences: sequences, shards: failing, frameSize: S, clipLength: T, capacity: 1)
        broken.prefetch([clip(0, 0)])
        XCTAssertThrowsError(try broken.next()) { XCTAssertEqual(String(describing: $0), "/d/a.h5: cannot open") }
        XCTAssertThrowsError(try loader.load([clip(0, 0), clip(0, 1), clip(0, 2)])) {
            XCTAssertTrue(String(describing: $0).contains("does not fit"), "\($0)")
        }
    }
}
