import Foundation
import HDF5Kit
import TestSupport
import XCTest
@testable import DataPrep

final class DatasetIndexTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    func sample(complete: Bool = true) -> DatasetIndex {
        var index = DatasetIndex(complete: complete, height: 128, width: 128, seed: 1, valFraction: 0.1,
                                 options: .init(fit: "crop", cutThreshold: 0.35, minFrames: 8, maxSequenceFrames: 1000, deflate: 4, shardMB: 512),
                                 inputs: ["/v/a.mp4"])
        index.shards = [.init(file: "shard-00000.h5", bytes: 10, sequences: ["00000-0000"])]
        index.sequences = [.init(id: "00000-0000", shard: "shard-00000.h5", frames: 12, source: "a.mp4", sourcePath: "/v/a.mp4",
                                 fps: 25, firstFrame: 0, split: "train")]
        return index
    }

    func expectError(_ index: DatasetIndex, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try index.write(to: directory)
        XCTAssertThrowsError(try DatasetIndex.load(directory), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains("index.json"), "\(error)", file: file, line: line)
        }
    }

    func testSchemaNamesAndRoundTrip() throws {
        _ = FileManager.default.createFile(atPath: directory + "/shard-00000.h5", contents: Data())
        try sample().write(to: directory)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/index.json"))) as! [String: Any]
        for key in ["format", "version", "height", "width", "encoding", "seed", "val_fraction", "shards", "sequences", "sources", "skipped"] {
            XCTAssertNotNil(json[key], key)
        }
        XCTAssertEqual(json["format"] as? String, "vcolor-dataset")
        let sequence = (json["sequences"] as! [[String: Any]])[0]
        for key in ["id", "shard", "frames", "source", "fps", "first_frame", "split"] { XCTAssertNotNil(sequence[key], key) }
        XCTAssertEqual(try DatasetIndex.load(directory), sample())
    }

    func testInvalidIndexesGiveClearErrors() throws {
        _ = FileManager.default.createFile(atPath: directory + "/shard-00000.h5", contents: Data())
        try expectError(sample(complete: false), "incomplete")
        var index = sample()
        index.format = "other"
        try expectError(index, "format")
        index = sample()
        index.sequences[0].shard = "shard-00009.h5"
        try expectError(index, "unlisted shard")
        index = sample()
        index.sequences.append(index.sequences[0])
        try expectError(index, "listed twice")
        index = sample()
        index.sequences[0].split = "test"
        try expectError(index, "split")
        index = sample()
        index.shards[0].bytes = -1
        try expectError(index, "-1 bytes")
        index = sample()
        index.shards.append(.init(file: "shard-00001.h5", bytes: .max, sequences: []))
        _ = FileManager.default.createFile(atPath: directory + "/shard-00001.h5", contents: Data())
        try expectError(index, "add up to more than")
        index = sample()
        index.sequences.append(index.sequences[0])
        index.sequences[0].frames = .max
        index.sequences[1].id = "00000-0001"
        try expectError(index, "add up to more than")
        try FileManager.default.removeItem(atPath: directory + "/shard-00000.h5")
        try expectError(sample(), "missing")
        try "{\"format\": 3".write(toFile: directory + "/index.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DatasetIndex.load(directory)) { XCTAssertTrue("\($0)".contains("not a vcolor data set index"), "\($0)") }
        XCTAssertThrowsError(try DatasetIndex.load(directory + "/nothing")) { XCTAssertTrue("\($0)".contains("no such data set")) }
    }

    func testSplitIsDeterministicAndBySource() {
        XCTAssertEqual(Split.assign(count: 10, valFraction: 0.1, seed: 5), Split.assign(count: 10, valFraction: 0.1, seed: 5))
        XCTAssertEqual(Split.assign(count: 10, valFraction: 0.1, seed: 5).filter { $0 == .val }.count, 1)
        XCTAssertEqual(Split.assign(count: 10, valFraction: 0.25, seed: 5).filter { $0 == .val }.count, 3)
        let seeds = (0..<20).map { Split.assign(count: 10, valFraction: 0.1, seed: UInt64($0)).firstIndex(of: .val)! }
        XCTAssertGreaterThan(Set(seeds).count, 3, "the seed chooses which input is held out")
        XCTAssertEqual(Split.assign(count: 4, valFraction: 0, seed: 1), [.train, .train, .train, .train])
        XCTAssertEqual(Split.assign(count: 4, valFraction: 1, seed: 1), [.val, .val, .val, .val])
        XCTAssertEqual(Split.assign(count: 1, valFraction: 0.1, seed: 1), [.train])
        XCTAssertEqual(Split.assign(count: 4, valFraction: 0.1, seed: 1).filter { $0 == .val }.count, 0)
        XCTAssertEqual(Split.assign(count: 5, valFraction: 0.1, seed: 1).filter { $0 == .val }.count, 1)
        XCTAssertEqual(Split.assign(count: 2, valFraction: 0.9, seed: 1).filter { $0 == .val }.count, 1, "training data left")
    }

    func testInputScannerNaturalOrderAndImageFolders() throws {
        let root = directory + "/media"
        try FileManager.default.createDirectory(atPath: root + "/frames/sub", withIntermediateDirectories: true)
        for name in ["f10.png", "f2.png", "f1.png", ".hidden.png", "notes.txt"] {
            _ = FileManager.default.createFile(atPath: root + "/frames/" + name, contents: Data([1]))
        }
        _ = FileManager.default.createFile(atPath: root + "/frames/sub/x.jpg", contents: Data([1]))
        _ = FileManager.default.createFile(atPath: root + "/clip.mov", contents: Data([1]))
        let scan = InputScanner.scan([root, directory + "/missing.mp4", root + "/clip.mov"])
        XCTAssertEqual(scan.inputs.map(\.kind), [.video, .imageSequence, .imageSequence])
        XCTAssertEqual(scan.inputs[1].images.map { ($0 as NSString).lastPathComponent }, ["f1.png", "f2.png", "f10.png"])
        XCTAssertEqual(scan.inputs[2].images.map { ($0 as NSString).lastPathComponent }, ["x.jpg"])
        XCTAssertEqual(scan.skipped, [SkippedInput(path: directory + "/missing.mp4", reason: "no such file or directory")])
        XCTAssertTrue(InputScanner.naturalLess("a9", "a10"))
        XCTAssertTrue(InputScanner.naturalLess("a09", "a10"))
        XCTAssertFalse(InputScanner.naturalLess("b1", "a2"))
    }

    /// A shard whose frame-size attributes are damaged is one clear error, not
    /// an overflow of height·width·3 later.
    func testShardReaderRejectsABadFrameSize() throws {
        for (height, width) in [(0, 128), (128, 1 << 40)] {
            let path = directory + "/shard-00000.h5"
            let file = try HDF5File.create(path)
            try file.root.setAttribute("format", DataPrep.shardFormat)
            try file.root.setAttribute("version", DataPrep.shardVersion)
            try file.root.setAttribute("encoding", DataPrep.encoding)
            try file.root.setAttribute("height", height)
            try file.root.setAttribute("width", width)
            try file.root.createGroup("sequences").close()
            try file.close()
            XCTAssertThrowsError(try ShardReader(path: path)) {
                XCTAssertEqual("\($0)", "\(path): bad frame size \(height)×\(width)")
            }
        }
    }

    /// inspect on a checkpoint-like file lists groups, datasets and attributes generically.
    func testInspectListsAnyHDF5File() throws {
        let file = try HDF5File.create(directory + "/step-00000010.h5")
        try file.root.write("generator/down1.conv.weight", shape: [64, 1, 4, 4], values: [Float](repeating: 0.5, count: 1024))
        try file.root.setAttribute("step", 10)
        try file.root.setAttribute("config", "{\"temporal\": \"lstm\"}")
        // 2⁶⁴ elements, never written (so the file stays small): listing it must not overflow.
        try file.root.createDataset("sparse", of: UInt8.self, shape: [1 << 32, 1 << 32], chunk: [4096, 4096]).close()
        try file.close()
        let (json, text) = try Inspection.inspect(directory + "/step-00000010.h5")
        XCTAssertEqual(json["kind"] as? String, "hdf5")
        XCTAssertTrue(text.contains("@step = 10"), text)
        XCTAssertTrue(text.contains("generator/"), text)
        XCTAssertTrue(text.contains("down1.conv.weight  float32 [64, 1, 4, 4]"), text)
        XCTAssertTrue(text.contains("sparse  uint8 [4294967296, 4294967296]"), text)
        let root = json["root"] as! [String: Any]
        XCTAssertEqual((root["attributes"] as! [String: Any])["step"] as? Int, 10)
    }
}
