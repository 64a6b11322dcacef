import XCTest
@testable import Colorize

final class ColorizeModuleTests: XCTestCase {
    func testModuleLinks() {
        XCTAssertNotNil(Colorize.self as Any.Type)
    }
}
