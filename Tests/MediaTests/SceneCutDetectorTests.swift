import XCTest
@testable import Media

/// The scene-cut detector's scores and rules on frames made in memory.
final class SceneCutDetectorTests: XCTestCase {
    func testBlockScoreOfKnownFrames() {
        // 64² frames: 2 × 2 pixels a block. Frame a: L 100, a 128, b 128 everywhere;
        // frame b: L 110 in the left half, 100 in the right, a 132, b 128.
        let size = 64, pixels = size * size
        var a = [UInt8](repeating: 128, count: 3 * pixels), b = a
        for p in 0..<pixels { a[p] = 100; b[p] = p % size < size / 2 ? 110 : 100; b[pixels + p] = 132 }
        var sa = [Int32](repeating: 0, count: SceneCutDetector.blockSumsSize), sb = sa
        SceneCutDetector.blockSums(a, size: size, into: &sa)
        SceneCutDetector.blockSums(b, size: size, into: &sb)
        XCTAssertEqual(sa[0], 400)  // 4 pixels of L 100
        XCTAssertEqual(sb[0], 440)
        XCTAssertEqual(sb[SceneCutDetector.grid - 1], 400)
        XCTAssertEqual(sb[SceneCutDetector.grid * SceneCutDetector.grid], 4 * 132)
        // Mean |ΔL| over blocks 5, mean |Δab| over blocks and a, b: (4 + 0) / 2 = 2.
        XCTAssertEqual(SceneCutDetector.blockDistance(sa, sb, size: size), (5.0 + 2.0) / 255, accuracy: 1e-12)
        XCTAssertEqual(SceneCutDetector.blockDistance(sa, sa, size: size), 0)
    }

    /// The histogram against a plain count: a flat plane, a varied one, and a
    /// pixel count that is not a multiple of the four partial histograms.
    func testHistogramCountsEveryCodeOnce() {
        for pixels in [1, 3, 4, 7, 4099] {
            var lab = [UInt8](repeating: 200, count: 3 * pixels)  // L flat at bin 50
            for p in 0..<pixels {
                lab[pixels + p] = UInt8(truncatingIfNeeded: p &* 37 &+ 11)
                lab[2 * pixels + p] = UInt8(p % 2 == 0 ? 3 : 255)
            }
            var expected = [Int32](repeating: 0, count: SceneCutDetector.histogramSize)
            for channel in 0..<3 {
                for p in 0..<pixels { expected[channel * SceneCutDetector.bins + Int(lab[channel * pixels + p] >> 2)] += 1 }
            }
            var bins = [Int32](repeating: -1, count: SceneCutDetector.histogramSize)
            SceneCutDetector.histogram(lab, pixels: pixels, into: &bins)
            XCTAssertEqual(bins, expected, "\(pixels) pixels")
            XCTAssertEqual(bins[50], Int32(pixels))
        }
    }

    /// Block sums against a plain per-pixel sum, at 128² and 256², on varied codes.
    func testBlockSumsAddEveryPixelToItsBlock() {
        for size in [128, 256] {
            let pixels = size * size, k = size / SceneCutDetector.grid
            var state: UInt32 = 12345
            let lab = (0..<(3 * pixels)).map { _ -> UInt8 in
                state = state &* 1664525 &+ 1013904223
                return UInt8(truncatingIfNeeded: state >> 24)
            }
            var expected = [Int32](repeating: 0, count: SceneCutDetector.blockSumsSize)
            for channel in 0..<3 {
                for y in 0..<size {
                    for x in 0..<size {
                        let block = (y / k) * SceneCutDetector.grid + x / k
                        expected[channel * SceneCutDetector.grid * SceneCutDetector.grid + block] += Int32(lab[channel * pixels + y * size + x])
                    }
                }
            }
            var sums = [Int32](repeating: -1, count: SceneCutDetector.blockSumsSize)
            SceneCutDetector.blockSums(lab, size: size, into: &sums)
            XCTAssertEqual(sums, expected, "\(size)²")
        }
    }

    func testRules() {
        let d = SceneCutDetector()
        typealias S = SceneCutDetector.Score
        // A different shot: the histogram peak decides.
        XCTAssertTrue(d.isCut(previous: S(histogram: 0.05, blocks: 0.01), current: S(histogram: 0.6, blocks: 0.02), next: S(histogram: 0.05, blocks: 0.01)))
        // A similar shot: histograms barely move, the block score spikes.
        XCTAssertTrue(d.isCut(previous: S(histogram: 0.02, blocks: 0.005), current: S(histogram: 0.05, blocks: 0.03), next: S(histogram: 0.02, blocks: 0.006)))
        // Fast motion: the block score is high on the neighbours too.
        XCTAssertFalse(d.isCut(previous: S(histogram: 0.02, blocks: 0.02), current: S(histogram: 0.05, blocks: 0.03), next: S(histogram: 0.02, blocks: 0.02)))
        // A spike too small to be a cut (noise in a still shot).
        XCTAssertFalse(d.isCut(previous: S(histogram: 0, blocks: 0.001), current: S(histogram: 0.01, blocks: 0.01), next: S(histogram: 0, blocks: 0.001)))
        // The last frame: the block rule compares with the score before.
        XCTAssertTrue(d.isCut(previous: S(histogram: 0.02, blocks: 0.005), current: S(histogram: 0.05, blocks: 0.03), next: nil))
        XCTAssertFalse(d.isCut(previous: S(histogram: 0.02, blocks: 0.02), current: S(histogram: 0.05, blocks: 0.03), next: nil))
        // Frame 1 (frame 0 has no score): the block rule compares with the score after.
        XCTAssertFalse(d.isCut(previous: nil, current: S(histogram: 0.05, blocks: 0.03), next: S(histogram: 0.02, blocks: 0.02)))
        XCTAssertTrue(d.isCut(previous: nil, current: S(histogram: 0.05, blocks: 0.03), next: S(histogram: 0.02, blocks: 0.005)))
        // A threshold above 1 turns detection off, block rule included.
        let off = SceneCutDetector(threshold: 2)
        XCTAssertFalse(off.isCut(previous: .zero, current: S(histogram: 1, blocks: 1), next: .zero))
    }
}
