import Foundation
import TestSupport
import XCTest

/// The fixture the in-process prep tests share: input media made with ffmpeg
/// once per class (the slow part), in `media`, removed when the class's tests
/// end; and a fresh output path `out` per test, in its scratch directory (as
/// are out-2, out-3 beside it). Subclasses write their media in `makeMedia`
/// and hold the tests.
class SharedMediaTestCase: XCTestCase {
    /// The running class's media directory.
    static var media = ""
    var out = ""

    /// Writes the class's inputs into `media` (which exists).
    class func makeMedia() throws {}

    override class func setUp() {
        media = NSTemporaryDirectory() + "\(self)-media-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: media, withIntermediateDirectories: true)
        try! makeMedia()
    }

    override class func tearDown() { try? FileManager.default.removeItem(atPath: media) }

    override func setUpWithError() throws { out = try makeScratchDirectory() + "/out" }
}
