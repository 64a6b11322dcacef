import Foundation
import Imaging
import Storage
import TestSupport
import XCTest
@testable import TensorBoard

/// Event files as TensorBoard reads them: TFRecord framing with masked
/// CRC-32C, the scalars of metrics.jsonl once per step across a resume, the
/// sample strips as images, the configuration as text.
final class TensorBoardTests: XCTestCase {
    func testCRC32CKnownValues() {
        // RFC 3720 §B.4 and the check value of CRC-32C.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map(UInt8.init)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// The first record of every TensorFlow-written event file: the version
    /// event at wall time 0 would frame as these bytes; here the framing of
    /// a fixed 4-byte payload against values computed by hand from the spec.
    func testRecordFramingAndMask() throws {
        let payload = Data([1, 2, 3, 4])
        let framed = EventRecords.frame(payload)
        XCTAssertEqual(framed.count, 8 + 4 + 4 + 4)
        XCTAssertEqual(Array(framed.prefix(8)), [4, 0, 0, 0, 0, 0, 0, 0])
        let crc = CRC32C.checksum(Array(payload))
        let masked = ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
        XCTAssertEqual(Array(framed.suffix(4)), withUnsafeBytes(of: masked.littleEndian) { Array($0) })
        let (records, truncated) = try EventRecords.records(in: framed + framed.prefix(10), file: "f")
        XCTAssertEqual(records, [payload])
        XCTAssertTrue(truncated, "a record cut short at the end is left out, not an error")
        var bad = framed
        bad[13] ^= 1
        XCTAssertThrowsError(try EventRecords.records(in: bad, file: "f")) {
            XCTAssertTrue(String(describing: $0).contains("CRC-32C"), "\($0)")
        }
    }

    static func stepFields(_ step: Int, attempt: Int = 0) -> [MetricsLog.Key: Any] {
        let x = Double(step) + 0.1 * Double(attempt)
        return [.lossD: 0.7 + x / 100, .lossG: 20.5 - x, .lossGAN: 0.69 + x / 1000, .lossL1: 0.2 - x / 1000,
                .stepSeconds: 1.25 + x / 10, .allReduceSeconds: 0.25, .framesPerSecond: 12.75 + x,
                .ranks: 2, .rankComputeSeconds: [1.0 + x / 7, 1.1 + x / 9], .epoch: 0]
    }

    /// Every scalar of every event file in `directory` as (tag, step) → value, failing on a duplicate.
    static func scalars(_ directory: String) throws -> [String: Float] {
        var out: [String: Float] = [:]
        for file in EventFile.files(in: directory) {
            let events = try EventFile.read(file)
            XCTAssertEqual(events.first?.fileVersion, "brain.Event:2", file)
            for e in events {
                for v in e.summary.value {
                    guard case .simpleValue(let value)? = v.value else { continue }
                    let key = "\(v.tag)@\(e.step)"
                    XCTAssertNil(out[key], "\(key) written twice")
                    out[key] = value
                }
            }
        }
        return out
    }

    func testScalarsUnderStableTags() throws {
        let scalars = RunScalars.scalars(.step, Self.stepFields(3))
        XCTAssertEqual(scalars.map(\.tag), ["train/loss_d", "train/loss_g", "train/loss_g_gan", "train/loss_g_l1",
                                            "train/step_s", "train/allreduce_s", "train/frames_per_s",
                                            "train/allreduce_share", "train/rank_compute_s/rank_0", "train/rank_compute_s/rank_1"])
        XCTAssertEqual(scalars[7].value, 0.25 / 1.55, accuracy: 1e-12)
        XCTAssertEqual(RunScalars.scalars(.validation, [.validationL1: 0.1, .validationPSNR: 22, .clips: 4]).map(\.tag),
                       ["validation/val_l1", "validation/val_psnr"])
        XCTAssertTrue(RunScalars.scalars(.checkpoint, [.path: "x"]).isEmpty)
    }

    /// A run that stops after step 5 and resumes from its checkpoint of step
    /// 3 logs steps 4 and 5 again: TensorBoard then sees each step once, the
    /// newer attempt's values.
    func testResumeKeepsEachStepOnce() throws {
        let dir = try makeScratchDirectory() + "/tb"
        do {
            let log = try TensorBoardLog(directory: dir, step: 0)
            try log.text("configuration", step: 0, "    {}")
            for step in 1...5 { try log.metrics(.step, step: step, Self.stepFields(step)) }
            try log.metrics(.validation, step: 3, [.validationL1: 0.125, .validationPSNR: 21.5])
        }
        XCTAssertThrowsError(try TensorBoardLog(directory: dir, step: 0)) {
            XCTAssertTrue(String(describing: $0).contains("already holds TensorBoard events"), "\($0)")
        }
        do {
            let log = try TensorBoardLog(directory: dir, step: 3)
            for step in 4...6 { try log.metrics(.step, step: step, Self.stepFields(step, attempt: 1)) }
        }
        XCTAssertEqual(EventFile.files(in: dir).count, 1, "the old file's steps up to 3 were copied into the new one")
        let scalars = try Self.scalars(dir)
        for step in 1...6 {
            let expected = RunScalars.scalars(.step, Self.stepFields(step, attempt: step > 3 ? 1 : 0))
            for (tag, value) in expected { XCTAssertEqual(scalars["\(tag)@\(step)"], Float(value), "\(tag)@\(step)") }
        }
        XCTAssertEqual(scalars["validation/val_l1@3"], 0.125)
        XCTAssertEqual(scalars.count, 6 * 10 + 2)

        // Resuming where the log ends drops nothing: a new file joins the old.
        _ = try TensorBoardLog(directory: dir, step: 6)
        XCTAssertEqual(EventFile.files(in: dir).count, 2)
        XCTAssertEqual(try Self.scalars(dir).count, 6 * 10 + 2)

        // `--resume` of a run whose first attempt died before its first
        // checkpoint starts at step 0: it was refused as a new run in a used
        // directory; now what the attempt logged is dropped, step 0's included.
        do {
            let log = try TensorBoardLog(directory: dir, step: 0, resuming: true)
            for step in 1...2 { try log.metrics(.step, step: step, Self.stepFields(step, attempt: 2)) }
        }
        XCTAssertEqual(EventFile.files(in: dir).count, 1)
        let restarted = try Self.scalars(dir)
        XCTAssertEqual(restarted.count, 2 * 10)
        for (tag, value) in RunScalars.scalars(.step, Self.stepFields(2, attempt: 2)) {
            XCTAssertEqual(restarted["\(tag)@2"], Float(value), "\(tag)@2")
        }
    }

    /// A step's events cost microseconds; the shortest training step of a
    /// test-sized model is tens of milliseconds (docs/training.md §TensorBoard).
    func testStepEventsAreCheap() throws {
        let dir = try makeScratchDirectory()
        let log = try TensorBoardLog(directory: dir, step: 0)
        let fields = Self.stepFields(1), count = 2000
        let started = Date()
        for step in 1...count { try log.metrics(.step, step: step, fields) }
        let perStep = Date().timeIntervalSince(started) / Double(count)
        print(String(format: "TensorBoard: %.1f µs per step's events", perStep * 1e6))
        XCTAssertLessThan(perStep, 0.5e-3)
    }

    func testImagesAndText() throws {
        let dir = try makeScratchDirectory()
        let png = Self.png(width: 3, height: 2)
        let log = try TensorBoardLog(directory: dir, step: 0)
        try log.image("samples", step: 4, png: png)
        try log.text("configuration", step: 0, "hello")
        XCTAssertThrowsError(try log.image("samples", step: 5, png: Data("nope".utf8)))
        let events = try EventFile.read(try XCTUnwrap(EventFile.files(in: dir).first))
        let image = try XCTUnwrap(events.first { $0.step == 4 }?.summary.value.first?.image)
        XCTAssertEqual([image.width, image.height, image.colorspace], [3, 2, 3])
        XCTAssertEqual(image.encodedImageString, png)
        let text = try XCTUnwrap(events.first { $0.summary.value.first?.tag == "configuration" }?.summary.value.first)
        XCTAssertEqual(text.metadata.pluginData.pluginName, "text")
        XCTAssertEqual(text.tensor.stringVal, [Data("hello".utf8)])
        XCTAssertEqual(text.tensor.dtype, .dtString)
    }

    /// A run's metrics.jsonl where a resume repeated steps 3 and 4 (and two
    /// lines were cut short by a crash, one after its step), with an event
    /// of a newer version and one sample strip.
    static func makeRun(_ run: String) throws {
        try FileManager.default.createDirectory(atPath: run + "/samples", withIntermediateDirectories: true)
        var lines: [String] = []
        func line(_ event: MetricsLog.Event, _ step: Int, _ fields: [MetricsLog.Key: Any]) throws {
            var object: [String: Any] = ["event": event.rawValue, "step": step, "time": 1.7e9 + Double(step)]
            for (k, v) in fields { object[k.rawValue] = v }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
        for step in 1...4 { try line(.step, step, stepFields(step)) }
        try line(.validation, 4, [.validationL1: 0.25, .validationPSNR: 20.0625, .clips: 2])
        lines.append("{\"event\":\"step\",\"st")
        try line(.checkpoint, 2, [.path: "checkpoints/x.h5"])
        for step in 3...5 { try line(.step, step, stepFields(step, attempt: 1)) }
        lines.append("{\"event\":\"hyperparameters\",\"step\":5,\"time\":1}")
        lines.append("{\"event\":\"step\",\"loss_d\":0.5,\"step\":6,\"step_s\":0.")
        try line(.validation, 5, [.validationL1: 0.1875, .validationPSNR: 21.5, .clips: 2])
        try (lines.joined(separator: "\n") + "\n").write(toFile: run + "/" + MetricsLog.fileName, atomically: true, encoding: .utf8)
        try png(width: 6, height: 4).write(to: URL(fileURLWithPath: run + "/samples/step-00000004.png"))
    }

    /// The expected scalars of `makeRun`'s run, (tag, step) → value.
    static func expectedRunScalars() -> [String: Float] {
        var out: [String: Float] = [:]
        for step in 1...5 {
            for (tag, v) in RunScalars.scalars(.step, stepFields(step, attempt: step >= 3 ? 1 : 0)) { out["\(tag)@\(step)"] = Float(v) }
        }
        out["validation/val_l1@5"] = 0.1875
        out["validation/val_psnr@5"] = 21.5
        return out
    }

    func testExistingRunOncePerStepNewerAttemptWins() throws {
        let dir = try makeScratchDirectory()
        try Self.makeRun(dir + "/run")
        let s = try RunExport.write(run: dir + "/run", to: dir + "/tb", configuration: "{\"model\":{}}")
        XCTAssertEqual([s.steps, s.validations, s.samples, s.skippedLines], [5, 1, 1, 2])
        XCTAssertEqual(try Self.scalars(dir + "/tb"), Self.expectedRunScalars())
        XCTAssertThrowsError(try RunExport.write(run: dir + "/run", to: dir + "/tb", configuration: nil),
                             "a second export into the same directory would show every step twice")
    }

    /// TensorBoard's own reader (through tbparse) reads back every scalar
    /// exactly (as float32), once per step, decodes the image and the text.
    func testTensorBoardReadsItBack() throws {
        let python = try ExportPython.python(["tbparse", "tensorboard"])
        let dir = try makeScratchDirectory()
        try Self.makeRun(dir + "/run")
        try RunExport.write(run: dir + "/run", to: dir + "/tb", configuration: "{\"model\":{}}")
        let output = try ExportPython.run(python, "tensorboard_read.py", [dir + "/tb"])
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        var scalars: [String: Float] = [:]
        for row in try XCTUnwrap(json["scalars"] as? [[Any]]) {
            let key = "\(row[0])@\(row[1])"
            XCTAssertNil(scalars[key], "\(key) read twice")
            scalars[key] = Float((row[2] as! NSNumber).doubleValue)
        }
        XCTAssertEqual(scalars, Self.expectedRunScalars())
        XCTAssertEqual(json["images"] as? [[AnyHashable]], [["samples", 4, 4, 6]])
        let texts = try XCTUnwrap(json["texts"] as? [[Any]])
        XCTAssertEqual(texts.count, 1)
        XCTAssertEqual(texts.first?[0] as? String, "configuration")
    }

    /// A `width`×`height` RGB PNG, for the image tests.
    static func png(width: Int, height: Int) -> Data {
        Data(PNGWriter.encode(rgb: (0..<(3 * width * height)).map { UInt8(truncatingIfNeeded: 37 * $0) }, width: width, height: height))
    }
}
