import XCTest
import Distributed

final class MPILibraryTests: XCTestCase {
    func testLinksOpenMPI() {
        XCTAssertTrue(Distributed.mpiLibraryVersion.contains("Open MPI"), Distributed.mpiLibraryVersion)
    }
}
