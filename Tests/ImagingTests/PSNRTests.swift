import XCTest
@testable import Imaging

final class PSNRTests: XCTestCase {
    func testIdenticalImagesGiveTheCap() throws {
        let a = testImage(width: 9, height: 7, seed: 1)
        XCTAssertEqual(try PSNR.rgb8(a, a), PSNR.cap)
        XCTAssertEqual(PSNR.cap, 100)
    }

    func testUniformDifferenceByHand() throws {
        // Every value off by 10: MSE 100, PSNR = 10·log10(255²/100) = 28.1308… dB.
        let a = solidImage(width: 4, height: 3, 0, 0, 0)
        let b = solidImage(width: 4, height: 3, 10, 10, 10)
        XCTAssertEqual(try PSNR.rgb8(a, b), 28.130803608679106, accuracy: 1e-12)
        // One of 36 values off by 248: MSE = 248²/36, PSNR = 10·log10(255²·36/248²).
        let d = solidImage(width: 4, height: 3, 7, 7, 7)
        var c = d
        c[2, 1] = (7, 255, 7)
        XCTAssertEqual(try PSNR.rgb8(c, d), 10 * log10(255.0 * 255 * 36 / (248 * 248)), accuracy: 1e-12)
    }

    func testMatchesScikitImage() throws {
        for c in try MetricsFixture.load().cases {
            XCTAssertEqual(try PSNR.rgb8(c.imageX, c.imageY), c.psnr, accuracy: 1e-9, c.name)
        }
    }

    func testDifferentSizesAreAnError() {
        XCTAssertThrowsError(try PSNR.rgb8(RGBImage(width: 2, height: 2), RGBImage(width: 2, height: 3)))
    }
}
