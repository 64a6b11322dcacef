import XCTest
import HDF5Kit

final class HDF5LibraryTests: XCTestCase {
    func testLinksHDF5Version110OrNewer() {
        let parts = HDF5Library.version.split(separator: ".").compactMap { Int($0) }
        XCTAssertEqual(parts.count, 3)
        XCTAssertTrue(parts[0] > 1 || (parts[0] == 1 && parts[1] >= 10), HDF5Library.version)
    }
}
