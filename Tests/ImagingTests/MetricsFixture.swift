import Foundation
import XCTest
@testable import Imaging

/// Image pairs and scikit-image's scores for them (tools/make_metrics_fixture.py).
struct MetricsFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var height: Int
        var width: Int
        var x: [UInt8]
        var y: [UInt8]
        var ssim: Double
        var psnr: Double
        var colourfulness_x: Double
        var colourfulness_y: Double

        var imageX: RGBImage { RGBImage(width: width, height: height, pixels: x) }
        var imageY: RGBImage { RGBImage(width: width, height: height, pixels: y) }
    }
    var cases: [Case]

    static func load() throws -> MetricsFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "metrics", withExtension: "json",
                                                  subdirectory: "Fixtures"))
        return try JSONDecoder().decode(MetricsFixture.self, from: Data(contentsOf: url))
    }
}

/// A deterministic pseudo-random image (tests only).
func testImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<pixels.count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        pixels[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

func solidImage(width: Int, height: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    for y in 0..<height { for x in 0..<width { image[x, y] = (r, g, b) } }
    return image
}
