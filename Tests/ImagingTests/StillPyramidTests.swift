import Foundation
import XCTest
@testable import Imaging

/// `StillPyramid.render` against bilinear sampling written out plainly in
/// double precision: the same frames, whatever the map (turned, scaled up or
/// down, reaching past the edges, which extend), at any level.
final class StillPyramidTests: XCTestCase {
    /// Fills level 0 with noise (neighbours unrelated, so a wrong tap or weight
    /// shows) over a smooth ramp, builds the others, and returns level 0.
    static func fill(_ pyramid: StillPyramid, width: Int, height: Int, levels: Int, seed: UInt64) -> [Float] {
        let pixels = pyramid.prepare(width: width, height: height, count: levels)
        var state = seed
        for i in 0..<(width * height) {
            for c in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                pixels[4 * i + c] = Float(min(255, Double(state >> 57) + Double(i % width) * 100 / Double(width) + 20 * Double(c)))
            }
            pixels[4 * i + 3] = 0
        }
        pyramid.build()
        return Array(UnsafeBufferPointer(start: pixels, count: 4 * width * height))
    }

    /// The frame `render` should give: level `level` made from `level0` by the
    /// documented 2×2 means, sampled bilinearly with edges extended.
    static func reference(_ pyramid: StillPyramid, level: Int, origin: (x: Double, y: Double), column: (x: Double, y: Double),
                          row: (x: Double, y: Double), size: Int, level0: [Float]) -> [UInt8] {
        var (w, h, values) = (pyramid.levels[0].width, pyramid.levels[0].height, level0.map(Double.init))
        for _ in 0..<level {
            let (nw, nh) = (w / 2, h / 2)
            var next = [Double](repeating: 0, count: 4 * nw * nh)
            for y in 0..<nh {
                for x in 0..<nw {
                    for c in 0..<4 {
                        next[4 * (y * nw + x) + c] = 0.25 * (values[4 * ((2 * y) * w + 2 * x) + c] + values[4 * ((2 * y) * w + 2 * x + 1) + c]
                            + values[4 * ((2 * y + 1) * w + 2 * x) + c] + values[4 * ((2 * y + 1) * w + 2 * x + 1) + c])
                    }
                }
            }
            (w, h, values) = (nw, nh, next)
        }
        let scale = 1 / Double(1 << level)
        var out = [UInt8](repeating: 0, count: 3 * size * size)
        for j in 0..<size {
            for i in 0..<size {
                let px = origin.x + (Double(i) + 0.5) * column.x + (Double(j) + 0.5) * row.x
                let py = origin.y + (Double(i) + 0.5) * column.y + (Double(j) + 0.5) * row.y
                let x = min(max(px * scale - 0.5, 0), Double(w - 1)), y = min(max(py * scale - 0.5, 0), Double(h - 1))
                let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                let fx = x - Double(x0), fy = y - Double(y0)
                for c in 0..<3 {
                    func v(_ x: Int, _ y: Int) -> Double { values[4 * (y * w + x) + c] }
                    let top = v(x0, y0) + (v(x1, y0) - v(x0, y0)) * fx
                    let bottom = v(x0, y1) + (v(x1, y1) - v(x0, y1)) * fx
                    out[3 * (j * size + i) + c] = UInt8(min(max((top + (bottom - top) * fy).rounded(), 0), 255))
                }
            }
        }
        return out
    }

    func testRenderIsBilinearSamplingWithEdgesExtended() {
        let pyramid = StillPyramid()
        var checked = 0
        for (width, height, seed) in [(97, 61, 1 as UInt64), (40, 300, 2), (1, 1, 3), (200, 1, 4)] {
            let level0 = Self.fill(pyramid, width: width, height: height, levels: 3, seed: seed)
            for (k, size) in [17, 32, 5].enumerated() {
                for level in 0..<pyramid.levels.count {
                    // Turned by up to ~40°, each sample 0.3–2.7 level-0 pixels apart, starting inside or out.
                    let angle = Double(k) * 0.35 - 0.35 + Double(level) * 0.1
                    let step = [0.3, 1.1, 2.7][(k + level) % 3] * Double(1 << level)
                    let column = (x: step * cos(angle), y: step * sin(angle)), row = (x: -step * sin(angle), y: step * cos(angle))
                    let origin = (x: Double(width) * [0.1, -0.3, 0.6][k], y: Double(height) * [0.2, 0.5, -0.2][k])
                    let expected = Self.reference(pyramid, level: level, origin: origin, column: column, row: row, size: size, level0: level0)
                    // One byte past the frame, which render must leave alone.
                    var rgb = [UInt8](repeating: 0xA5, count: 3 * size * size + 1)
                    rgb.withUnsafeMutableBufferPointer {
                        pyramid.render(level: level, origin: origin, column: column, row: row, size: size, into: $0.baseAddress!)
                    }
                    XCTAssertEqual(rgb.last, 0xA5, "\(width)×\(height) level \(level): wrote past the frame")
                    // Float against double: a value within rounding of .5 may go either way.
                    let worst = zip(rgb.dropLast(), expected).map { abs(Int($0) - Int($1)) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1, "\(width)×\(height) level \(level) size \(size)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }
}
