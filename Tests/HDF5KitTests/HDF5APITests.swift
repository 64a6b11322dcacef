import Foundation
import HDF5Kit
import TestSupport
import XCTest

/// HDF5Kit's API on its own: every element type round trip, the errors a
/// caller can cause (each one line naming file and object), attributes on
/// groups and datasets.
final class HDF5APITests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Each scalar type keeps its exact values (extremes, −0, subnormals,
    /// NaN's bits) and its stored type, through a close and reopen.
    func testEveryElementTypeRoundTripsExactly() throws {
        let floats: [Float] = [0, -0.0, 1, -1.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.infinity, .nan, 1e-38, 3.1415927]
        let doubles: [Double] = [0, -0.0, 0.1, -2e-308, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, 1 / 3]
        let bytes: [UInt8] = [0, 1, 127, 128, 254, 255]
        let ints: [Int64] = [.min, -1, 0, 1, .max, 1 << 53 + 1]
        let file = try HDF5File.create(path("types.h5"))
        try file.root.write("f", shape: [2, 5], values: floats)
        try file.root.write("d", shape: [8], values: doubles)
        try file.root.write("u", shape: [3, 2], values: bytes)
        try file.root.write("i", shape: [6], values: ints)
        try file.close()

        let back = try HDF5File.open(path("types.h5"))
        let f = try back.root.read("f", as: Float.self)
        XCTAssertEqual(f.shape, [2, 5])
        XCTAssertEqual(f.values.map(\.bitPattern), floats.map(\.bitPattern))
        let d = try back.root.read("d", as: Double.self)
        XCTAssertEqual(d.shape, [8])
        XCTAssertEqual(d.values.map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(try back.root.read("u", as: UInt8.self).values, bytes)
        XCTAssertEqual(try back.root.read("u", as: UInt8.self).shape, [3, 2])
        XCTAssertEqual(try back.root.read("i", as: Int64.self).values, ints)
        var types: [String] = []
        for name in ["f", "d", "u", "i"] {
            let dataset = try back.root.openDataset(name)
            types.append(try dataset.typeDescription())
            dataset.close()
        }
        XCTAssertEqual(types, ["float32", "float64", "uint8", "int64"])
        try back.close()
    }

    /// Partial writes and reads of a box inside a dataset, and growing it.
    func testHyperslabWritesAndGrowth() throws {
        let file = try HDF5File.create(path("box.h5"))
        let dataset = try file.root.createDataset("g/x", of: Float.self, shape: [2, 4], maxShape: [nil, 4], chunk: [1, 4])
        try [Float](repeating: 0, count: 8).withUnsafeBufferPointer { try dataset.write($0) }
        try [Float(1), 2].withUnsafeBufferPointer { try dataset.write($0, start: [1, 1], count: [1, 2]) }
        try dataset.setExtent([3, 4])
        try [Float(7), 8, 9, 10].withUnsafeBufferPointer { try dataset.write($0, start: [2, 0], count: [1, 4]) }
        try file.close()
        let back = try HDF5File.open(path("box.h5"))
        let (shape, values) = try back.root.read("g/x", as: Float.self)
        XCTAssertEqual(shape, [3, 4])
        XCTAssertEqual(values, [0, 0, 0, 0, 0, 1, 2, 0, 7, 8, 9, 10])
        try back.close()
    }

    /// Mistakes a caller can make: a thrown `HDF5Error`, one line naming the
    /// file and the object, and the file still usable afterwards.
    func testCallerErrorsAreOneLineNamingFileAndObject() throws {
        let file = try HDF5File.create(path("e.h5"))
        func expect(_ fragment: String, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(error is HDF5Error, "\(type(of: error)): \(text)", line: line)
                XCTAssertTrue(text.hasPrefix(path("e.h5")), text, line: line)
                XCTAssertTrue(text.contains(fragment), "want '\(fragment)' in: \(text)", line: line)
                XCTAssertFalse(text.contains("\n"), text, line: line)
            }
        }
        expect("/a: shape [2, 3] needs 6 values, got 5") { try file.root.write("a", shape: [2, 3], values: [Float](repeating: 1, count: 5)) }
        expect("/missing: no such dataset") { _ = try file.root.read("missing", as: Float.self) }
        expect("chunk has 1 dimensions, shape 2") {
            _ = try file.root.createDataset("c", of: UInt8.self, shape: [2, 2], chunk: [2])
        }
        expect("compression needs a chunked dataset") {
            _ = try file.root.createDataset("z", of: UInt8.self, shape: [4], deflate: 4)
        }
        expect("no attribute 'nothing'") { _ = try file.root.attribute("nothing") }
        try file.root.setAttribute("text", "hello")
        expect("attribute 'text' is not an integer") { _ = try file.root.intAttribute("text") }
        expect("attribute 'text' is not a number") { _ = try file.root.doubleAttribute("text") }
        try file.root.write("ok", shape: [4], values: [Float](repeating: 2, count: 4))
        let ok = try file.root.openDataset("ok")
        expect("buffer holds 3 elements, selection needs 4") {
            var small = [Float](repeating: 0, count: 3)
            try small.withUnsafeMutableBufferPointer { try ok.read(into: $0) }
        }
        expect("is outside the dataset") {
            var two = [Float](repeating: 0, count: 2)
            try two.withUnsafeMutableBufferPointer { try ok.read(into: $0, start: [3], count: [2]) }
        }
        ok.close()
        // Still usable after every failure.
        try file.root.write("after", shape: [1], values: [Float(5)])
        XCTAssertEqual(try file.root.read("after", as: Float.self).values, [5])
        try file.close()
    }

    /// A file opened read-only refuses writes with an error, not a crash.
    func testReadOnlyFileRefusesWrites() throws {
        let file = try HDF5File.create(path("ro.h5"))
        try file.root.write("x", shape: [1], values: [Float(1)])
        try file.close()
        let readOnly = try HDF5File.open(path("ro.h5"))
        XCTAssertThrowsError(try readOnly.root.write("y", shape: [1], values: [Float(2)])) {
            XCTAssertTrue("\($0)".hasPrefix(self.path("ro.h5")), "\($0)")
        }
        XCTAssertThrowsError(try readOnly.root.setAttribute("a", 1))
        try readOnly.close()
        let writable = try HDF5File.open(path("ro.h5"), writable: true)
        try writable.root.write("y", shape: [1], values: [Float(2)])
        try writable.close()
        let reopened = try HDF5File.open(path("ro.h5"))
        XCTAssertEqual(try reopened.root.childNames(), ["x", "y"])
        try reopened.close()
    }

    /// Attributes on groups and datasets: every kind, replaced by another
    /// kind, Unicode and empty strings, listed in name order.
    func testAttributesOnGroupsAndDatasets() throws {
        let file = try HDF5File.create(path("attrs.h5"))
        let group = try file.root.createGroup("g")
        try group.write("d", shape: [2], values: [Float(1), 2])
        let dataset = try group.openDataset("d")
        try dataset.setAttribute("checksum", "a1b2")
        try dataset.setAttribute("count", -7)
        try group.setAttribute("name", "Schwarz–weiß ✓")
        try group.setAttribute("empty", "")
        try group.setAttribute("kind", 3)
        try group.setAttribute("kind", "three")   // an int replaced by a string
        try group.setAttribute("scale", [1.5, -2.25, 1e300])
        try group.setAttribute("words", [Int.min, 0, Int.max])
        XCTAssertTrue(group.hasAttribute("kind"))
        XCTAssertFalse(group.hasAttribute("checksum"))
        dataset.close()
        try file.close()

        let back = try HDF5File.open(path("attrs.h5"))
        let g = try back.root.openGroup("g")
        XCTAssertEqual(try g.attributeNames(), ["empty", "kind", "name", "scale", "words"])
        XCTAssertEqual(try g.stringAttribute("name"), "Schwarz–weiß ✓")
        XCTAssertEqual(try g.stringAttribute("empty"), "")
        XCTAssertEqual(try g.attribute("kind"), .string("three"))
        XCTAssertEqual(try g.attribute("scale"), .doubles([1.5, -2.25, 1e300]))
        XCTAssertEqual(try g.attribute("words"), .ints([Int.min, 0, Int.max]))
        let d = try g.openDataset("d")
        XCTAssertEqual(try d.attributeNames(), ["checksum", "count"])
        XCTAssertEqual(try d.stringAttribute("checksum"), "a1b2")
        XCTAssertEqual(try d.intAttribute("count"), -7)
        XCTAssertEqual(try d.doubleAttribute("count"), -7)
        d.close()
        try back.close()
    }
}
