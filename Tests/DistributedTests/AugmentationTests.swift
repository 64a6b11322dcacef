import DataPrep
import Foundation
import Net
import XCTest
@testable import Distributed

/// `Augmentation`: each transform against its definition, the draws a pure
/// function of their key, and the loader applying them to prefetched batches only.
final class AugmentationTests: XCTestCase {
    /// A plane whose value is an affine function of the column and row.
    func ramp(_ size: Int) -> [Float] {
        (0..<(size * size)).map { Float($0 % size) * 0.5 - Float($0 / size) * 0.25 }
    }

    func identity(_ size: Int) -> Augmentation.Draw {
        Augmentation.Draw(cropSide: size, cropX: 0, cropY: 0, flip: false, contrast: 1, brightness: 0)
    }

    /// Runs `apply` on one clip of `frames` frames whose planes are `L` and `ab`.
    func applied(_ d: Augmentation.Draw, L: [Float], ab: [Float], frames: Int, size: Int) -> (L: [Float], ab: [Float]) {
        var L = L, ab = ab
        var scratch = [Float](repeating: 0, count: size * size)
        L.withUnsafeMutableBufferPointer { l in
            ab.withUnsafeMutableBufferPointer { a in
                scratch.withUnsafeMutableBufferPointer { s in
                    Augmentation().apply(d, L: l.baseAddress!, ab: a.baseAddress!, frames: frames, size: size,
                                         scratch: s.baseAddress!)
                }
            }
        }
        return (L, ab)
    }

    func testIdentityDrawChangesNothing() {
        let S = 8, L = ramp(S).map { $0 / 10 }, ab = ramp(S) + ramp(S).map { -$0 }
        let out = applied(identity(S), L: L, ab: ab, frames: 1, size: S)
        XCTAssertEqual(out.L, L)
        XCTAssertEqual(out.ab, ab)
    }

    /// A flip mirrors every plane of every frame, L and a*b* alike.
    func testFlipMirrorsLAndAB() {
        let S = 6, T = 2
        let L = (0..<(T * S * S)).map { Float($0) / 100 }
        let ab = (0..<(T * 2 * S * S)).map { Float($0) / -300 }
        var d = identity(S)
        d.flip = true
        let out = applied(d, L: L, ab: ab, frames: T, size: S)
        for plane in 0..<T {
            for y in 0..<S { for x in 0..<S {
                XCTAssertEqual(out.L[plane * S * S + y * S + x], L[plane * S * S + y * S + (S - 1 - x)])
            } }
        }
        for plane in 0..<(2 * T) {
            for y in 0..<S { for x in 0..<S {
                XCTAssertEqual(out.ab[plane * S * S + y * S + x], ab[plane * S * S + y * S + (S - 1 - x)])
            } }
        }
    }

    /// Bilinear resampling reproduces an affine function exactly wherever its
    /// taps fall inside the crop: output (x, y) samples the crop at
    /// ((x + ½)·side/size − ½, …), clamped at the crop's edge.
    func testCropResizesTheChosenSquareBilinearly() {
        let S = 16, side = 12, x0 = 3, y0 = 1
        let f: (Float, Float) -> Float = { x, y in 0.5 * x - 0.25 * y + 0.125 }
        let plane = (0..<(S * S)).map { f(Float($0 % S), Float($0 / S)) }
        let d = Augmentation.Draw(cropSide: side, cropX: x0, cropY: y0, flip: false, contrast: 1, brightness: 0)
        let out = applied(d, L: plane.map { $0 / 100 }, ab: plane + plane, frames: 1, size: S)
        let ratio = Float(side) / Float(S)
        for y in 0..<S { for x in 0..<S {
            let sx = min(max(0, (Float(x) + 0.5) * ratio - 0.5), Float(side - 1))
            let sy = min(max(0, (Float(y) + 0.5) * ratio - 0.5), Float(side - 1))
            let want = f(Float(x0) + sx, Float(y0) + sy)
            XCTAssertEqual(out.ab[y * S + x], want, accuracy: 1e-4, "a* at (\(x), \(y))")
            XCTAssertEqual(out.ab[S * S + y * S + x], want, accuracy: 1e-4, "b* at (\(x), \(y))")
            XCTAssertEqual(out.L[y * S + x], want / 100, accuracy: 1e-5, "L at (\(x), \(y))")
        } }
    }

    /// Contrast and brightness touch L alone and keep it in [−1, 1].
    func testLightnessJitterChangesLOnly() {
        let S = 4
        let L: [Float] = (0..<(S * S)).map { Float($0) / 7.5 - 1 }
        let ab = (0..<(2 * S * S)).map { Float($0) / 50 - 0.3 }
        var d = identity(S)
        d.contrast = 1.2
        d.brightness = 0.1
        let out = applied(d, L: L, ab: ab, frames: 1, size: S)
        XCTAssertEqual(out.ab, ab)
        for i in 0..<L.count { XCTAssertEqual(out.L[i], min(1, max(-1, 1.2 * L[i] + 0.1)), "pixel \(i)") }
        XCTAssertEqual(out.L.last, 1, "clamped")
    }

    /// Draws are a function of the key and the clip's place, within the stated ranges.
    func testDrawsAreAFunctionOfTheKeyWithinTheirRanges() {
        let a = Augmentation(), S = 128
        let key = Augmentation.key(seed: 7, epoch: 2, stepInEpoch: 5, rank: 1)
        XCTAssertEqual(a.draw(key: key, index: 3, size: S), a.draw(key: key, index: 3, size: S))
        XCTAssertNotEqual(key, Augmentation.key(seed: 7, epoch: 3, stepInEpoch: 5, rank: 1))
        XCTAssertNotEqual(key, Augmentation.key(seed: 7, epoch: 2, stepInEpoch: 5, rank: 0))
        var flips = 0, crops = Set<Int>()
        for step in 0..<200 {
            let d = a.draw(key: Augmentation.key(seed: 1, epoch: 0, stepInEpoch: step, rank: 0), index: 0, size: S)
            XCTAssertTrue((102...128).contains(d.cropSide), "side \(d.cropSide)")
            XCTAssertTrue(d.cropX >= 0 && d.cropX + d.cropSide <= S && d.cropY >= 0 && d.cropY + d.cropSide <= S)
            XCTAssertTrue(abs(d.contrast - 1) <= 0.2 && abs(d.brightness) <= 0.1)
            if d.flip { flips += 1 }
            crops.insert(d.cropSide)
        }
        XCTAssertTrue((70...130).contains(flips), "\(flips) flips in 200")
        XCTAssertGreaterThan(crops.count, 10)
    }

    /// The loader augments a prefetched batch with its key's draws, and never a
    /// synchronous `load` (validation sees the data as it is).
    func testLoaderAugmentsPrefetchedBatchesOnly() throws {
        let S = 8, T = 2
        let sequences = [ClipSequence(id: "00000", shard: "a.h5", frames: 6)]
        let frames = SyntheticFrames(size: S)
        let shards = ShardSet(directory: "/data") { _ in frames }
        let clips = [Clip(sequenceIndex: 0, sequenceID: "00000", startFrame: 1),
                     Clip(sequenceIndex: 0, sequenceID: "00000", startFrame: 3)]
        let plain = ClipLoader(sequences: sequences, shards: shards, frameSize: S, clipLength: T, capacity: 2)
        let truth = try plain.load(clips)
        let (L0, ab0) = (truth.L.toArray(), truth.ab.toArray())

        let augmentation = Augmentation()
        let loader = ClipLoader(sequences: sequences, shards: shards, frameSize: S, clipLength: T, capacity: 2,
                                augmentation: augmentation)
        let unaugmented = try loader.load(clips)
        XCTAssertEqual(unaugmented.L.toArray(), L0)
        XCTAssertEqual(unaugmented.ab.toArray(), ab0)

        let key: UInt64 = 42
        loader.prefetch(clips, augmentationKey: key)
        let batch = try loader.next()
        let pixels = S * S
        for b in 0..<2 {
            let d = augmentation.draw(key: key, index: b, size: S)
            let want = applied(d, L: Array(L0[(b * T * pixels)..<((b + 1) * T * pixels)]),
                               ab: Array(ab0[(b * 2 * T * pixels)..<((b + 1) * 2 * T * pixels)]), frames: T, size: S)
            XCTAssertEqual(Array(batch.L.toArray()[(b * T * pixels)..<((b + 1) * T * pixels)]), want.L, "clip \(b)")
            XCTAssertEqual(Array(batch.ab.toArray()[(b * 2 * T * pixels)..<((b + 1) * 2 * T * pixels)]), want.ab, "clip \(b)")
        }
        XCTAssertNotEqual(batch.L.toArray(), L0, "the batch was augmented")
    }
}
