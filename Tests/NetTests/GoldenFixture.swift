import Foundation
import XCTest

/// The PyTorch-written golden files (tools/, docs/golden-fixtures.md).
enum GoldenFixture {
    static func url(_ file: String) throws -> URL {
        let base = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return base.appendingPathComponent("golden").appendingPathComponent(file)
    }
}
