import Foundation
import Storage
import SwiftProtobuf

/// A run's TensorBoard view (docs/training.md §TensorBoard): the scalars of
/// each metrics.jsonl event (`RunScalars`), the sample strips as images, the
/// configuration as text, written as events into one directory.
///
/// A run that resumes from the checkpoint of step k repeats the steps after
/// k, which its first attempt may already have logged. So opening a
/// directory at step k keeps every event at a step up to k and drops the
/// later ones (the newer attempt wins, as in `vcolor report`): when there are
/// any, the kept records are copied into a new file, which replaces the old
/// ones; otherwise a new file simply joins them.
public final class TensorBoardLog {
    public let directory: String
    let file: EventFile

    /// Opens `directory` (created if need be) for a run starting after step
    /// `step` (0: a new run, which must find no events there). A `resuming`
    /// run keeps what its checkpoint's step covers; one that found no
    /// checkpoint starts over (step 0), so it drops all its earlier attempt
    /// logged, configuration included, which it writes again.
    public init(directory: String, step: Int, resuming: Bool = false) throws {
        self.directory = directory
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TensorBoardError("\(directory): cannot create the TensorBoard directory: \(error.localizedDescription)")
        }
        let old = EventFile.files(in: directory)
        var kept: [Data] = [], dropped = 0
        for path in old {
            for record in try EventFile.rawRecords(path) {
                let event = try Tensorboard_Event(serializedBytes: record)
                guard case .summary = event.what else { continue }   // each file's version record
                if event.step <= step, !(resuming && step == 0) { kept.append(record) } else { dropped += 1 }
            }
        }
        if step == 0, !resuming, !kept.isEmpty || dropped > 0 {
            throw TensorBoardError("\(directory) already holds TensorBoard events; a new run needs a directory of its own")
        }
        if dropped > 0 {
            file = try EventFile(directory: directory, records: kept)
            for path in old { try? FileManager.default.removeItem(atPath: path) }
        } else {
            file = try EventFile(directory: directory)
        }
    }

    /// The scalars of one metrics.jsonl event.
    public func metrics(_ event: MetricsLog.Event, step: Int, _ fields: [MetricsLog.Key: Any]) throws {
        let scalars = RunScalars.scalars(event, fields)
        guard !scalars.isEmpty else { return }
        try write(step: step, scalars.map { s in .with { $0.tag = s.tag; $0.simpleValue = Float(s.value) } })
    }

    /// A PNG under `tag` (the sample strips: `samples`).
    public func image(_ tag: String, step: Int, png: Data) throws {
        guard let (width, height) = Self.pngSize(png) else { throw TensorBoardError("\(tag) at step \(step): not a PNG") }
        try write(step: step, [.with {
            $0.tag = tag
            $0.image = .with {
                $0.width = Int32(width)
                $0.height = Int32(height)
                $0.colorspace = 3
                $0.encodedImageString = png
            }
        }])
    }

    /// Text under `tag` (TensorBoard's text plugin renders it as Markdown).
    public func text(_ tag: String, step: Int, _ text: String) throws {
        try write(step: step, [.with {
            $0.tag = tag
            $0.metadata.pluginData.pluginName = "text"
            $0.tensor = .with {
                $0.dtype = .dtString
                $0.tensorShape = .with { $0.dim = [.with { $0.size = 1 }] }
                $0.stringVal = [Data(text.utf8)]
            }
        }])
    }

    /// The run's configuration (JSON) at step 0 under `RunExport.configurationTag`,
    /// indented four spaces so that Markdown shows it as code, as written.
    public func configuration(_ json: String) throws {
        try text(RunExport.configurationTag, step: 0, json.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    }

    private func write(step: Int, _ values: [Tensorboard_Summary.Value]) throws {
        try file.write(.with {
            $0.wallTime = Date().timeIntervalSince1970
            $0.step = Int64(step)
            $0.summary = .with { $0.value = values }
        })
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ png: Data) -> (Int, Int)? {
        let b = [UInt8](png.prefix(24))
        guard b.count == 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], b[12..<16] == [0x49, 0x48, 0x44, 0x52]
        else { return nil }
        func be(_ i: Int) -> Int { b[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }
}
