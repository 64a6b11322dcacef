import Foundation
import TestSupport
import XCTest
@testable import Net
@testable import ModelFiles

/// The safetensors reader and writer: bit-exact round trips, files written by
/// PyTorch, and hostile input (every malformed file must throw, never trap).
final class SafeTensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = URL(fileURLWithPath: try makeScratchDirectory())
    }

    /// NetTests' PyTorch-written golden files.
    static func goldenURL(_ file: String) -> URL { sharedFixture("NetTests", "golden/" + file) }

    /// A file built by hand: `header` JSON, then `data`; the length field is the
    /// header's unless overridden.
    private func raw(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let body = Array(header.utf8)
        let n = length ?? UInt64(body.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + body + data
    }

    /// Asserts that parsing `bytes` throws a one-line `.malformed` error mentioning `fragment`.
    private func assertMalformed(_ bytes: [UInt8], _ fragment: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(bytes: bytes, source: "test.safetensors"), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError, case .malformed = e else {
                return XCTFail("expected .malformed, got \(error)", file: file, line: line)
            }
            let text = e.description
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", file: file, line: line)
            XCTAssertTrue(text.hasPrefix("test.safetensors: "), text, file: file, line: line)
            XCTAssertTrue(text.contains(fragment), "'\(text)' lacks '\(fragment)'", file: file, line: line)
        }
    }

    private let sample: [(String, [Int], [Float])] = [
        ("b.weight", [2, 3], [1, -2, 3.5, 0, -0.0, .infinity]),
        ("a.scalar", [], [Float.leastNonzeroMagnitude]),
        ("c.empty", [0, 4], []),
        ("d.vector", [5], [.nan, Float(bitPattern: 0x7FC0_1234), -.infinity, .greatestFiniteMagnitude, Float(bitPattern: 0x0001_1170)]),
    ]

    private func encodeSample(metadata: [String: String] = ["k": "v"]) throws -> [UInt8] {
        try withEntries(sample) { try SafeTensors.encode($0, metadata: metadata) }
    }

    private func withEntries<R>(_ tensors: [(String, [Int], [Float])],
                                _ body: ([SafeTensors.Entry]) throws -> R) rethrows -> R {
        // Copy into stable buffers so the pointers outlive the closure below.
        let buffers = tensors.map { t -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(t.2.count, 1))
            _ = b.initialize(from: t.2)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        let entries = zip(tensors, buffers).map { t, b in
            (name: t.0, shape: t.1, values: UnsafeBufferPointer(rebasing: b[0..<t.2.count]))
        }
        return try body(entries)
    }

    // MARK: Round trip

    func testRoundTripThroughAFileIsBitExact() throws {
        let url = directory.appendingPathComponent("round.safetensors")
        let metadata = ["config": #"{"base_width": 4, "name": "q\"uote\\"}"#, "tab\tkey": "line\nbreak é ✓", "empty": ""]
        try withEntries(sample) { try SafeTensors.write($0, metadata: metadata, to: url) }

        let st = try SafeTensors.load(contentsOf: url)
        XCTAssertEqual(st.metadata, metadata)
        XCTAssertEqual(st.names, sample.map(\.0), "data order is the order given")
        for (name, shape, values) in sample {
            XCTAssertEqual(st.shape(name), shape)
            let read = try st.floats(name)
            XCTAssertEqual(read.map(\.bitPattern), values.map(\.bitPattern), name)
        }
        // Same bytes as the in-memory encoder, deterministic, header padded with spaces to 8.
        let bytes = try [UInt8](Data(contentsOf: url))
        XCTAssertEqual(bytes, try withEntries(sample) { try SafeTensors.encode($0, metadata: metadata) })
        XCTAssertEqual(try encodeSample(), try encodeSample())
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual((8 + n) % 8, 0)
        XCTAssertEqual(bytes[8], UInt8(ascii: "{"))
        let header = bytes[8..<(8 + n)]
        let close = try XCTUnwrap(header.lastIndex(of: UInt8(ascii: "}")))
        XCTAssertTrue(header[(close + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
        XCTAssertLessThan(header.endIndex - close - 1, 8)
        // The temporary file was renamed away.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["round.safetensors"])
    }

    /// Every control character leaves as a JSON escape (\n, \r, \t or \u00XX)
    /// that this reader and Foundation's read back to the same text.
    func testHeaderStringsEscapeEveryControlCharacter() throws {
        XCTAssertEqual(SafeTensors.quoted("a\u{1}\u{1f}\r\"\\"), #""a\u0001\u001f\r\"\\""#)
        let text = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) })) + "\"\\/é"
        let literal = SafeTensors.quoted(text)
        XCTAssertFalse(literal.unicodeScalars.contains { $0.value < 0x20 }, literal)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed) as? String, text)
        let url = directory.appendingPathComponent("control.safetensors")
        try withEntries(sample) { try SafeTensors.write($0, metadata: ["all": text], to: url) }
        XCTAssertEqual(try SafeTensors.load(contentsOf: url).metadata, ["all": text])
    }

    func testCopyIntoABufferAndItsErrors() throws {
        let st = try SafeTensors(bytes: try encodeSample())
        var out = [Float](repeating: 9, count: 6)
        try out.withUnsafeMutableBufferPointer { try st.copy("b.weight", into: $0.baseAddress!, count: 6) }
        XCTAssertEqual(out.map(\.bitPattern), sample[0].2.map(\.bitPattern))
        XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer {
            try st.copy("b.weight", into: $0.baseAddress!, count: 5)
        }) { XCTAssertEqual($0 as? SafeTensorsError, .countMismatch(source: "<memory>", name: "b.weight", expected: 6, actual: 5)) }
        XCTAssertThrowsError(try st.floats("nope")) {
            XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(source: "<memory>", name: "nope"))
        }
        XCTAssertNil(st.shape("nope"))
        XCTAssertEqual(try st.floats("c.empty"), [])
    }

    func testWriterRejectsBadArgumentsAndUnwritablePaths() throws {
        let dup = [("x", [1], [Float(1)]), ("x", [1], [Float(2)])]
        XCTAssertThrowsError(try withEntries(dup) { try SafeTensors.encode($0) }) {
            XCTAssertTrue("\($0)".contains("duplicate tensor name 'x'"), "\($0)")
        }
        XCTAssertThrowsError(try withEntries([("x", [2, 2], [Float(1), 2, 3])]) { try SafeTensors.encode($0) }) {
            XCTAssertTrue("\($0)".contains("holds 4 elements but 3 values"), "\($0)")
        }
        XCTAssertThrowsError(try withEntries([("x", [-1], [])]) { try SafeTensors.encode($0) }) {
            XCTAssertTrue("\($0)".contains("negative dimension"), "\($0)")
        }
        XCTAssertThrowsError(try withEntries([("__metadata__", [1], [Float(1)])]) { try SafeTensors.encode($0) })
        let nowhere = directory.appendingPathComponent("missing/dir/x.safetensors")
        XCTAssertThrowsError(try withEntries(sample) { try SafeTensors.write($0, to: nowhere) }) { error in
            guard case .io = error as? SafeTensorsError else { return XCTFail("\(error)") }
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertThrowsError(try SafeTensors.load(contentsOf: directory.appendingPathComponent("absent"))) {
            guard case .io = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try SafeTensors.load(contentsOf: directory)) {
            XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)")
        }
    }

    // MARK: Files written by PyTorch

    func testReadsTorchWrittenFixtures() throws {
        let st = try SafeTensors.load(contentsOf: Self.goldenURL("model-lstm.safetensors"))
        XCTAssertEqual(st.metadata["temporal"], "\"lstm\"")
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(st.metadata["config"]).utf8)) as? [String: Any])
        XCTAssertEqual(config["base_width"] as? Int, 4)
        XCTAssertEqual(st.shape("step1.fake"), [6, 2, 128, 128])
        XCTAssertEqual(st.shape("G.init.up6.conv.weight"), [64, 32, 4, 4])  // ConvT: [in, out, k, k]
        XCTAssertEqual(st.shape("G.init.lstm.weight_ih"), [128, 32])
        XCTAssertEqual(st.shape("step1.D_real_logits"), [6, 1, 15, 15])
        // Values the generating script printed; float32 bit-exact through the file.
        XCTAssertEqual(try st.floats("step1.loss_D"), [0.710297703742981])
        XCTAssertEqual(try st.floats("G.init.up7.bn.running_var"), [Float](repeating: 1, count: 32))
        let bound = 1 / Float(32).squareRoot()
        let lstm = try st.floats("G.init.lstm.weight_hh")
        XCTAssertEqual(lstm.count, 128 * 32)
        XCTAssertTrue(lstm.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(Set(lstm).count, 4000, "real data, not a fill value")

        let inputs = try SafeTensors.load(contentsOf: Self.goldenURL("inputs.safetensors"))
        XCTAssertEqual(Set(inputs.names), ["L", "ab"])
        let L = try inputs.floats("L")
        XCTAssertEqual(L.count, 6 * 128 * 128)
        XCTAssertTrue(L.allSatisfy { $0 >= -1 && $0 <= 1 })

        // Our writer re-encodes a PyTorch file without changing a bit.
        let names = Array(st.names.prefix(40))
        let tensors = try names.map { ($0, st.shape($0)!, try st.floats($0)) }
        let again = try withEntries(tensors) { try SafeTensors(bytes: try SafeTensors.encode($0, metadata: st.metadata)) }
        XCTAssertEqual(again.metadata, st.metadata)
        for (name, _, values) in tensors {
            XCTAssertEqual(try again.floats(name).map(\.bitPattern), values.map(\.bitPattern), name)
        }
    }

    // MARK: Malformed files

    func testRejectsTruncatedFiles() throws {
        let good = try encodeSample()
        XCTAssertNoThrow(try SafeTensors(bytes: good))
        assertMalformed([], "shorter than the 8-byte header length")
        assertMalformed(Array(good.prefix(5)), "shorter than the 8-byte header length")
        assertMalformed(Array(good.prefix(20)), "runs past the end of the file")
        assertMalformed(Array(good.dropLast(1)), "truncated?")
        assertMalformed(Array(good.dropLast(24)), "truncated?")
        assertMalformed(good + [0, 0, 0, 0], "cover")
    }

    func testRejectsHugeHeaderLengths() {
        assertMalformed(raw("{}", length: 1 << 60), "exceeds the limit")
        assertMalformed(raw("{}", length: UInt64.max), "exceeds the limit")
        assertMalformed(raw("{}", length: 1000), "runs past the end of the file")
    }

    func testRejectsBadJSON() {
        assertMalformed(raw(#"{"a": "#), "header JSON")
        assertMalformed(raw(#"{"a" 1}"#), "header JSON")
        assertMalformed(raw("[1, 2]"), "does not start with '{'")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x"#, data: [0, 0, 0, 0]), "unexpected text")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                            data: [0, 0, 0, 0]), "duplicate key")
        assertMalformed(raw("{\"x\":\"\u{01}\"}"), "control character")
        assertMalformed(raw(#"{"x":"\ud800"}"#), "surrogate")
        assertMalformed(raw("{\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"), "nested deeper")
        assertMalformed(raw(#"{"__metadata__":{"k":1}}"#), "not a string")
        assertMalformed(raw(#"{"__metadata__":[]}"#), "not an object")
        assertMalformed(raw(#"{"a":5}"#), "not an object")
        var invalidUTF8 = raw(#"{"x":"ab"}"#)
        invalidUTF8[8 + 6] = 0xFF
        assertMalformed(invalidUTF8, "UTF-8")
    }

    func testRejectsInconsistentEntries() {
        let four: [UInt8] = [0, 0, 128, 63]
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, data: four), "past the data section")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,4]}}"#, data: four), "non-negative integer")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four), "begin > end")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, data: four), "two integers")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: four), "non-negative integer")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four), "non-negative integer")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four), "needs 8 bytes")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: four), "overflows")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#, data: four), "non-negative integer")
        assertMalformed(raw(#"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: four), "unknown dtype 'Q7'")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1]}}"#, data: four), "needs dtype, shape and data_offsets")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}"#, data: four), "unknown field")
        // Overlapping, holes, uncovered tail.
        let eight = four + four, twelve = eight + four
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                            data: twelve), "overlap")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                            data: four), "overlap")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                            data: twelve), "belong to no tensor")
        assertMalformed(raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight), "cover")
    }

    func testOtherDTypesLoadButAreNotReadAsFloats() throws {
        let st = try SafeTensors(bytes: raw(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}"#,
                                            data: [UInt8](repeating: 0, count: 12)))
        XCTAssertEqual(st.names, ["h", "d"])
        XCTAssertEqual(st.info("d")?.dtype, "F64")
        XCTAssertThrowsError(try st.floats("d")) {
            XCTAssertEqual($0 as? SafeTensorsError, .unsupportedDType(source: "<memory>", name: "d", dtype: "F64"))
            XCTAssertEqual("\($0)", "<memory>: tensor 'd' has dtype F64; only F32 is supported")
        }
    }

    // MARK: Fuzzing

    /// Hundreds of seeded random corruptions of a small valid file: each must
    /// either load into something self-consistent or throw a SafeTensorsError.
    /// A trap here fails the whole test run, which is the point.
    func testRandomCorruptionsLoadConsistentlyOrThrow() throws {
        // Enough data bytes that many mutations land there and the file still loads.
        let big = (0..<64).map { Float($0) * 0.25 - 3 }
        let good = try withEntries(sample + [("e.big", [8, 8], big)]) { try SafeTensors.encode($0, metadata: ["k": "v"]) }
        var rng = RandomGenerator(seed: 0x5AFE)
        var loaded = 0, rejected = 0
        for round in 0..<600 {
            var bytes = good
            let mutations = 1 + Int(rng.next() % 3)
            for _ in 0..<mutations {
                let at = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 7 {
                case 0: if !bytes.isEmpty { bytes[at] ^= UInt8(1 << (rng.next() % 8)) }
                case 1: if !bytes.isEmpty { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
                case 2: bytes = Array(bytes.prefix(at))
                case 3: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                case 4: if !bytes.isEmpty { bytes.remove(at: at) }
                case 5:  // replace a header digit with another digit
                    let digits = bytes.indices.filter { $0 >= 8 && $0 < min(bytes.count, 300) && (48...57).contains(bytes[$0]) }
                    if !digits.isEmpty { bytes[digits[Int(rng.next() % UInt64(digits.count))]] = UInt8(48 + rng.next() % 10) }
                default:  // a random header length
                    if bytes.count >= 8 {
                        let n = rng.next() >> (rng.next() % 64)
                        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
                    }
                }
            }
            do {
                let st = try SafeTensors(bytes: bytes)
                loaded += 1
                var covered = 0
                for name in st.names {
                    let info = try XCTUnwrap(st.info(name))
                    XCTAssertEqual(info.count, info.shape.reduce(1, *), "round \(round)")
                    covered += info.byteRange.count
                    if info.dtype == "F32" {
                        XCTAssertEqual(try st.floats(name).count, info.count, "round \(round)")
                    } else {
                        XCTAssertThrowsError(try st.floats(name))
                    }
                }
                XCTAssertLessThanOrEqual(covered, bytes.count, "round \(round)")
            } catch let error as SafeTensorsError {
                rejected += 1
                XCTAssertFalse(error.description.isEmpty)
            }
        }
        // Both outcomes occur, so the loop exercised the validator and not only one path.
        XCTAssertGreaterThan(rejected, 200, "loaded \(loaded)")
        XCTAssertGreaterThan(loaded, 20, "rejected \(rejected)")
    }
}
