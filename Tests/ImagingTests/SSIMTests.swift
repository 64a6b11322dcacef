import XCTest
@testable import Imaging

final class SSIMTests: XCTestCase {
    func testIdenticalImagesScoreOne() throws {
        let a = testImage(width: 20, height: 14, seed: 2)
        XCTAssertEqual(try SSIM.rgb8(a, a), 1, accuracy: 1e-12)
    }

    func testConstantImagesByHand() throws {
        // No variance anywhere: S = (2μxμy + C1) / (μx² + μy² + C1) at every pixel.
        let a = solidImage(width: 12, height: 12, 100, 100, 100)
        let b = solidImage(width: 12, height: 12, 120, 120, 120)
        let c1 = (0.01 * 255.0) * (0.01 * 255.0)
        let expected = (2 * 100.0 * 120 + c1) / (100.0 * 100 + 120 * 120 + c1)
        XCTAssertEqual(try SSIM.rgb8(a, b), expected, accuracy: 1e-12)
    }

    func testGaussianWindowIsScipys() {
        XCTAssertEqual(SSIM.kernel.count, 11)
        XCTAssertEqual(SSIM.kernel.reduce(0, +), 1, accuracy: 1e-15)
        XCTAssertEqual(SSIM.kernel[5] / SSIM.kernel[4], exp(0.5 / (1.5 * 1.5)), accuracy: 1e-12)
    }

    func testMatchesScikitImage() throws {
        for c in try MetricsFixture.load().cases {
            XCTAssertEqual(try SSIM.rgb8(c.imageX, c.imageY), c.ssim, accuracy: 1e-9, c.name)
            XCTAssertEqual(try SSIM.rgb8(c.imageY, c.imageX), c.ssim, accuracy: 1e-9, "symmetric: \(c.name)")
        }
    }

    func testTooSmallOrMismatchedIsAnError() {
        let small = testImage(width: 10, height: 12, seed: 3)
        XCTAssertThrowsError(try SSIM.rgb8(small, small))
        XCTAssertThrowsError(try SSIM.rgb8(testImage(width: 12, height: 12, seed: 3),
                                           testImage(width: 13, height: 12, seed: 3)))
    }
}
