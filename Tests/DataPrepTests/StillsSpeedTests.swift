import Foundation
import Media
import XCTest
@testable import DataPrep

/// The speed of `prep --stills` against decoding the same photos alone
/// (docs/dataprep.md §Stills, "Speed"). Needs a folder of real photos, so it
/// runs only when asked:
///
///     VCOLOR_STILLS_SPEED_DIR=PHOTOS swift test -c release -Xswiftc -enable-testing \
///         --disable-swift-testing --filter StillsSpeedTests
///
/// Both sides use two threads (prep's default `--workers` on two cores) and
/// the same `StillDecoder`; each is run `VCOLOR_STILLS_SPEED_REPEAT` times
/// (default 3), alternating, and the fastest of each is compared.
final class StillsSpeedTests: XCTestCase {
    func testStillsPrepAgainstDecodingAlone() throws {
        guard let folder = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_DIR"] else {
            throw XCTSkip("set VCOLOR_STILLS_SPEED_DIR to a folder of photos")
        }
        let repeats = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_REPEAT"].flatMap { Int($0) } ?? 3
        let photos = InputScanner.scan([], stills: [folder]).inputs.map(\.path)
        XCTAssertFalse(photos.isEmpty, "no photos in \(folder)")
        let out = NSTemporaryDirectory() + "stills-speed-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var decodeTimes: [Double] = [], prepTimes: [Double] = []
        var summary = PrepSummary()
        for _ in 0..<repeats {
            decodeTimes.append(try Self.decodeAlone(photos, threads: 2))
            var options = PrepOptions(inputs: [], output: out)
            options.stills = [folder]
            options.progress = false
            options.workers = 2
            options.overwrite = true
            let start = Date()
            summary = try Prep.run(options)
            prepTimes.append(Date().timeIntervalSince(start))
        }
        let decode = decodeTimes.min()!, prep = prepTimes.min()!
        print(String(format: "stills speed: %d photos (%d made into clips, %d greyscale, %d skipped), %d frames at 128²",
                     photos.count, summary.stills, summary.greyscaleStills, summary.skipped.count, summary.frames))
        print(String(format: "stills speed: decode alone %.2f s (%.1f photos/s); prep %.2f s (%.1f photos/s, %.0f frames/s); ratio %.2f×",
                     decode, Double(photos.count) / decode, prep, Double(photos.count) / prep, Double(summary.frames) / prep, prep / decode))
        print("stills speed: all decode runs \(decodeTimes.map { String(format: "%.2f", $0) }), prep runs \(prepTimes.map { String(format: "%.2f", $0) })")
    }

    /// Seconds to decode every photo (`StillDecoder.decode`, nothing else) on `threads` threads.
    static func decodeAlone(_ photos: [String], threads: Int) throws -> Double {
        let control = RunControl()
        let group = DispatchGroup()
        let start = Date()
        for _ in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                let decoder = StillDecoder()
                while let i = control.next(photos.count) { _ = try? decoder.decode(photos[i]) }
                group.leave()
            }
        }
        group.wait()
        return Date().timeIntervalSince(start)
    }
}
