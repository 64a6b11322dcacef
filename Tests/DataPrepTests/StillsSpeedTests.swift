import Foundation
import Imaging
import Media
import TestSupport
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
/// (default 3), alternating, and the fastest of each is compared; prep with
/// `--deflate VCOLOR_STILLS_SPEED_DEFLATE` (default 1, prep's). CPU seconds
/// (the process's user + system, nothing else running in it) are reported
/// beside the wall time: on a shared machine they move less. The same
/// photos also measure what decoding JPEGs reduced changes in the frames.
final class StillsSpeedTests: XCTestCase {
    func testStillsPrepAgainstDecodingAlone() throws {
        guard let folder = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_DIR"] else {
            throw XCTSkip("set VCOLOR_STILLS_SPEED_DIR to a folder of photos")
        }
        let repeats = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_REPEAT"].flatMap { Int($0) } ?? 3
        let deflate = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_DEFLATE"].flatMap { Int($0) } ?? 1
        let photos = InputScanner.scan([], stills: [folder]).inputs.map(\.path)
        XCTAssertFalse(photos.isEmpty, "no photos in \(folder)")
        let out = try makeScratchDirectory() + "/out"
        var decodeTimes: [Double] = [], prepTimes: [Double] = [], decodeCPU: [Double] = [], prepCPU: [Double] = []
        var summary = PrepSummary()
        for _ in 0..<repeats {
            var cpu = Self.cpuSeconds()
            decodeTimes.append(try Self.decodeAlone(photos, threads: 2))
            decodeCPU.append(Self.cpuSeconds() - cpu)
            var options = PrepOptions(inputs: [], output: out)
            options.stills = [folder]
            options.progress = false
            options.workers = 2
            options.overwrite = true
            options.deflate = deflate
            let start = Date()
            cpu = Self.cpuSeconds()
            summary = try Prep.run(options)
            prepTimes.append(Date().timeIntervalSince(start))
            prepCPU.append(Self.cpuSeconds() - cpu)
        }
        let decode = decodeTimes.min()!, prep = prepTimes.min()!
        print(String(format: "stills speed: %d photos (%d made into clips, %d greyscale, %d skipped), %d frames at 128², --deflate %d: %.1f MB of shards",
                     photos.count, summary.stills, summary.greyscaleStills, summary.skipped.count, summary.frames, deflate,
                     Double(summary.bytes) / 1e6))
        print(String(format: "stills speed: decode alone %.2f s (%.1f photos/s); prep %.2f s (%.1f photos/s, %.0f frames/s); ratio %.2f×",
                     decode, Double(photos.count) / decode, prep, Double(photos.count) / prep, Double(summary.frames) / prep, prep / decode))
        print(String(format: "stills speed: CPU, decode alone %.2f s, prep %.2f s; ratio %.2f×", decodeCPU.min()!, prepCPU.min()!,
                     prepCPU.min()! / decodeCPU.min()!))
        func list(_ seconds: [Double]) -> String { seconds.map { String(format: "%.2f", $0) }.joined(separator: " ") }
        print("stills speed: all runs, wall: decode \(list(decodeTimes)), prep \(list(prepTimes)); CPU: decode \(list(decodeCPU)), prep \(list(prepCPU))")
    }

    /// User + system seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
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

    /// Every photo the renderer decodes reduced, against the same photo decoded
    /// whole: the same size, orientation and verdict, and frames (lab8, the
    /// data set's bytes) that differ little: along each clip's camera path
    /// (seed 0), every fifth frame. Reports the mean difference by scale, and
    /// its tail; "same factor" are photos whose level 0 is reduced from the
    /// same stored pixels either way (else decoding reduced gives a finer level
    /// 0: the reduction is a whole number of decoded pixels).
    func testFramesOfPhotosDecodedReducedAgainstWhole() throws {
        guard let folder = ProcessInfo.processInfo.environment["VCOLOR_STILLS_SPEED_DIR"] else {
            throw XCTSkip("set VCOLOR_STILLS_SPEED_DIR to a folder of photos")
        }
        let size = 128, pixels = size * size
        let reduced = StillRenderer(size: size), whole = StillRenderer(size: size, decodesReduced: false)
        let converter = Lab8Converter()
        var rgb = [UInt8](repeating: 0, count: 3 * pixels), a = rgb, b = rgb
        var histogram = [Int](repeating: 0, count: 256)
        var byScale: [String: (photos: Int, sum: Int, count: Int)] = [:]
        for photo in InputScanner.scan([], stills: [folder]).inputs {
            guard let ra = try? reduced.decode(photo.path) else {
                XCTAssertThrowsError(try whole.decode(photo.path), photo.path)
                continue
            }
            let rb = try whole.decode(photo.path)
            XCTAssertEqual([ra.width, ra.height, ra.orientation], [rb.width, rb.height, rb.orientation], photo.path)
            guard ra.scale > 1 else { continue }
            let paths = (0..<2).map {
                CameraPath.make(width: ra.displayWidth, height: ra.displayHeight, size: size, seed: 0, key: photo.stillKey ?? photo.name, clip: $0)
            }
            let sides = paths.flatMap { [$0.start.side, $0.end.side] }
            if !ra.isGreyFormat {
                reduced.prepare(sides: sides.min()!...sides.max()!)
                whole.prepare(sides: sides.min()!...sides.max()!)
            }
            XCTAssertEqual(reduced.isGreyscale(), whole.isGreyscale(), photo.path)
            if ra.isGreyFormat { continue }
            let key = "1/\(ra.scale), \(reduced.factor == whole.factor ? "same factor" : "finer level 0")"
            var entry = byScale[key] ?? (0, 0, 0)
            entry.photos += 1
            for path in paths {
                for t in stride(from: 0, to: 16, by: 5) {
                    rgb.withUnsafeMutableBufferPointer { reduced.render(path.window(t, of: 16), into: $0.baseAddress!) }
                    converter.convert(rgb: rgb, pixels: pixels, lab: &a)
                    rgb.withUnsafeMutableBufferPointer { whole.render(path.window(t, of: 16), into: $0.baseAddress!) }
                    converter.convert(rgb: rgb, pixels: pixels, lab: &b)
                    for i in 0..<(3 * pixels) {
                        let d = abs(Int(a[i]) - Int(b[i]))
                        histogram[d] += 1
                        entry.sum += d
                    }
                    entry.count += 3 * pixels
                }
            }
            byScale[key] = entry
        }
        for (key, entry) in byScale.sorted(by: { $0.key < $1.key }) {
            print(String(format: "decoded reduced: %@: %d photos, mean |Δ| %.2f lab8 codes", key, entry.photos,
                         Double(entry.sum) / Double(entry.count)))
            XCTAssertLessThan(Double(entry.sum) / Double(entry.count), 2, key)
        }
        let total = histogram.reduce(0, +)
        func quantile(_ q: Double) -> Int {
            var seen = 0
            return histogram.indices.first { seen += histogram[$0]; return Double(seen) >= q * Double(total) } ?? 0
        }
        print("decoded reduced: |Δ| lab8 codes: 90 % ≤ \(quantile(0.9)), 99 % ≤ \(quantile(0.99)), 99.9 % ≤ \(quantile(0.999)), "
              + "most \(histogram.lastIndex { $0 > 0 } ?? 0), over \(total) values")
    }
}
