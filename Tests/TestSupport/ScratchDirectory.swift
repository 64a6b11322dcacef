import Foundation
import XCTest

extension XCTestCase {
    /// A fresh, empty directory of this test's own, removed with everything in
    /// it when the test ends, passed or failed. Called from `setUpWithError`,
    /// it serves every test of the class (each gets its own).
    public func makeScratchDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-scratch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory.path
    }
}
