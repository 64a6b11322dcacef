import Foundation
import HDF5Kit
import TestSupport
import XCTest

final class HDF5RoundTripTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// What a checkpoint needs: float32 tensors by name in nested groups, attributes
    /// of every kind (a long JSON string too), listing groups.
    func testCheckpointStyleRoundTrip() throws {
        let file = try HDF5File.create(path("ckpt.h5"))
        let weights: [Float] = (0..<(64 * 3 * 4 * 4)).map { (i: Int) -> Float in Float(i) * 0.25 - 7 }
        let negated: [Float] = weights.map { -$0 }
        try file.root.write("generator/down1.conv.weight", shape: [64, 3, 4, 4], values: weights)
        try file.root.write("optimizer/generator/down1.conv.weight/m", shape: [64, 3, 4, 4], values: negated)
        try file.root.write("discriminator/head.bias", shape: [1], values: [Float(0.5)])
        let json = "{\"config\": \"" + String(repeating: "x", count: 200_000) + "\"}"
        try file.root.setAttribute("config", json)
        try file.root.setAttribute("step", 123_456_789_012)
        try file.root.setAttribute("lr", 2e-4)
        try file.root.setAttribute("step", 42)  // replacing an attribute
        let rngState: [UInt64] = [0xFFFF_FFFF_FFFF_FFFF, 1, 0x8000_0000_0000_0000, 12345]
        try file.root.setAttribute("rng", rngState.map { Int(bitPattern: UInt($0)) })
        try file.root.setAttribute("losses", [0.5, 1.25])
        try file.close()

        let reopened = try HDF5File.open(path("ckpt.h5"))
        XCTAssertEqual(try reopened.root.childNames(), ["discriminator", "generator", "optimizer"])
        let generator = try reopened.root.openGroup("generator")
        XCTAssertEqual(try generator.children().map(\.name), ["down1.conv.weight"])
        XCTAssertEqual(try generator.children().map(\.kind), [.dataset])
        XCTAssertEqual(reopened.root.kind(of: "optimizer/generator"), .group)
        let (shape, values) = try reopened.root.read("generator/down1.conv.weight", as: Float.self)
        XCTAssertEqual(shape, [64, 3, 4, 4])
        XCTAssertEqual(values, weights)
        XCTAssertEqual(try reopened.root.read("optimizer/generator/down1.conv.weight/m", as: Float.self).values, negated)
        XCTAssertEqual(try reopened.root.stringAttribute("config"), json)
        XCTAssertEqual(try reopened.root.intAttribute("step"), 42)
        XCTAssertEqual(try reopened.root.doubleAttribute("lr"), 2e-4)
        XCTAssertEqual(try reopened.root.attributeNames(), ["config", "losses", "lr", "rng", "step"])
        guard case .ints(let words) = try reopened.root.attribute("rng") else { return XCTFail("rng") }
        XCTAssertEqual(words.map { UInt64(UInt(bitPattern: $0)) }, rngState)
        XCTAssertEqual(try reopened.root.attribute("losses"), .doubles([0.5, 1.25]))
        XCTAssertTrue(reopened.root.exists("optimizer/generator/down1.conv.weight/m"))
        XCTAssertFalse(reopened.root.exists("optimizer/nothing/m"))
        XCTAssertThrowsError(try reopened.root.openDataset("generator/missing")) { error in
            XCTAssertTrue("\(error)".contains("ckpt.h5:/generator/missing"), "\(error)")
        }
        XCTAssertThrowsError(try reopened.root.intAttribute("config"))
        try reopened.close()
    }

    func testMissingNonHDF5AndTruncatedFilesGiveOneClearError() throws {
        XCTAssertThrowsError(try HDF5File.open(path("nothing.h5"))) { error in
            XCTAssertEqual("\(error)", "\(path("nothing.h5")): no such file")
        }
        try "hello".write(toFile: path("text.h5"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HDF5File.open(path("text.h5"))) { error in
            XCTAssertEqual("\(error)", "\(path("text.h5")): not an HDF5 file")
        }
        let file = try HDF5File.create(path("whole.h5"))
        try file.root.write("x", shape: [100_000], values: [Float](repeating: 1, count: 100_000))
        try file.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: path("whole.h5")))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path("half.h5")))
        XCTAssertThrowsError(try HDF5File.open(path("half.h5"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path("half.h5") + ": cannot open HDF5 file"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// Chunks compressed outside HDF5 (by `Deflate`) read back through the normal
    /// deflate filter; hyperslab reads of a growable dataset.
    func testPrecompressedChunksReadBack() throws {
        let file = try HDF5File.create(path("chunks.h5"))
        let dataset = try file.root.createDataset("s/lab", of: UInt8.self, shape: [0, 3, 8, 8], maxShape: [nil, 3, 8, 8],
                                                  chunk: [1, 3, 8, 8], deflate: 4)
        let deflate = Deflate(level: 4)
        var frames: [[UInt8]] = []
        for t in 0..<5 {
            let frame = (0..<192).map { UInt8(truncatingIfNeeded: $0 * (t + 1)) }
            frames.append(frame)
            let n = frame.withUnsafeBytes { deflate.compress($0) }
            try dataset.setExtent([t + 1, 3, 8, 8])
            try deflate.output[0..<n].withUnsafeBytes { try dataset.writeChunk($0, offset: [t, 0, 0, 0]) }
        }
        XCTAssertEqual(try dataset.chunkShape(), [1, 3, 8, 8])
        XCTAssertEqual(try dataset.filters(), ["deflate"])
        try file.close()
        let reopened = try HDF5File.open(path("chunks.h5"))
        let read = try reopened.root.openDataset("s/lab")
        XCTAssertEqual(try read.shape(), [5, 3, 8, 8])
        XCTAssertEqual(try read.typeDescription(), "uint8")
        var buffer = [UInt8](repeating: 0, count: 2 * 192)
        try buffer.withUnsafeMutableBufferPointer { try read.read(into: $0, start: [2, 0, 0, 0], count: [2, 3, 8, 8]) }
        XCTAssertEqual(Array(buffer[0..<192]), frames[2])
        XCTAssertEqual(Array(buffer[192...]), frames[3])
        XCTAssertThrowsError(try buffer.withUnsafeMutableBufferPointer { try read.read(into: $0, start: [4, 0, 0, 0], count: [2, 3, 8, 8]) })
    }

    /// Many threads using HDF5 at once (each its own file) stay correct: every
    /// call is serialised by HDF5Kit's lock.
    func testConcurrentUseFromManyThreads() throws {
        let failures = NSLock()
        var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                let p = path("t\(i).h5")
                for round in 0..<5 {
                    let file = try HDF5File.create(p)
                    let values: [Float] = (0..<1000).map { (k: Int) -> Float in Float(k + i * round) }
                    try file.root.write("g/\(round)/v", shape: [10, 100], values: values)
                    try file.root.setAttribute("thread", i)
                    try file.close()
                    let back = try HDF5File.open(p)
                    let read = try back.root.read("g/\(round)/v", as: Float.self)
                    let thread = try back.root.intAttribute("thread")
                    if read.values != values || thread != i { throw HDF5Error(path: p, message: "mismatch") }
                    try back.close()
                }
            } catch {
                failures.lock(); errors.append("\(error)"); failures.unlock()
            }
        }
        XCTAssertEqual(errors, [])
    }
}
