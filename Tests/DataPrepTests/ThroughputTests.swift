import Foundation
import HDF5Kit
import XCTest
@testable import DataPrep

/// Where prep's time goes per 128² frame (printed), with loose floors that only a
/// real regression (e.g. losing vectorisation) would break.
final class ThroughputTests: XCTestCase {
    func testPerFrameCosts() {
        let size = 128, pixels = size * size
        var rgb = [UInt8](repeating: 0, count: 3 * pixels)
        var state: UInt32 = 12345
        for i in 0..<rgb.count {  // smooth gradient plus noise: compresses like real footage
            state = state &* 1_664_525 &+ 1_013_904_223
            rgb[i] = UInt8(truncatingIfNeeded: (i / 3 % size) + (i / (3 * size)) + Int(state >> 29))
        }
        var lab = [UInt8](repeating: 0, count: 3 * pixels)
        let converter = Lab8Converter()
        let frames = 100
        func time(_ body: () -> Void) -> Double {
            let start = Date()
            for _ in 0..<frames { body() }
            return Date().timeIntervalSince(start) / Double(frames) * 1e6
        }
        let convert = time { converter.convert(rgb: rgb, pixels: pixels, lab: &lab) }
        var hist = [Int32](repeating: 0, count: SceneCutDetector.histogramSize)
        let histogram = time { SceneCutDetector.histogram(lab, pixels: pixels, into: &hist) }
        var report = String(format: "per 128² frame: lab %.0f µs, histograms %.0f µs", convert, histogram)
        for level in [1, 4, 6] {
            var deflate = Deflate(level: level)
            var n = 0
            let t = lab.withUnsafeBytes { bytes in time { n = deflate.compress(bytes) } }
            report += String(format: ", deflate-%d %.0f µs (%.0f%%)", level, t, 100 * Double(n) / Double(lab.count))
        }
        print(report)
        XCTAssertLessThan(convert, 2000, "LAB conversion of one 128² frame")
        XCTAssertLessThan(histogram, 500)
    }
}
