import XCTest
@testable import Colorize
@testable import Distributed

/// Training validation and eval report one PSNR: until the metrics move below
/// Distributed (issue 9) the validator holds a copy of the formula, pinned here
/// to eval's `PSNR.fromMSE`, identical frames and the cap included.
final class ValidatorPSNRTests: XCTestCase {
    func testValidationPSNRIsEvalsDefinition() {
        for mse in [0, 1e-9, 1e-3, 0.0065, 0.5, 1, 7.25, 100, 1234.5, 65025] {
            XCTAssertEqual(Validator.framePSNR(mse: mse), PSNR.fromMSE(mse), "MSE \(mse)")
        }
        XCTAssertEqual(Validator.framePSNR(mse: 0), 100)
    }
}
