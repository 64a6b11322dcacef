import Foundation
import TestSupport
import XCTest

/// The fixture the CLI fault tests share: a scratch root per test, paths in
/// it, and `vcolor train` on the tiny model (base width 2, clips of 2 frames,
/// B = 1) so each run takes seconds. Subclasses hold the tests.
class TinyTrainTestCase: XCTestCase {
    var root: String!
    let tiny = ["--base", "2", "--clip", "2", "--batch", "1", "--log-level", "info"]

    override func setUpWithError() throws {
        root = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    func train(_ args: [String], ranks: Int = 1, timeout: TimeInterval = 60,
               launcherOptions: [String] = []) throws -> ProcessOutput {
        try runTrain(tiny + args, ranks: ranks, timeout: timeout, launcherOptions: launcherOptions)
    }
}
