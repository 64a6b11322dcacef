import Foundation
import Storage

/// `vcolor tensorboard RUN DIR`: a finished (or running) run's record as
/// TensorBoard events, as `train --tensorboard` would have written them:
/// every step and validation of RUN/metrics.jsonl once (where a resumed run
/// repeated steps, the newer attempt wins: a step logged again drops every
/// event from that step on, as `train --tensorboard` does on resuming), the
/// sample strips of RUN/samples, and the run's configuration as text.
///
/// The log is read as `vcolor report` reads it (`MetricsLog.read`): a line
/// that is not a whole event (cut short by a crash) is skipped and counted,
/// an event of a name this version does not know is passed over, and an
/// array of numbers with anything else in it (`rank_compute_s`) is dropped.
/// One difference on purpose: a step goes out with whichever numbers it has,
/// as TensorBoard shows each tag on its own, where the report, which draws
/// the four losses together, counts a step without them as unreadable.
public enum RunExport {
    /// The image tag of the sample strips, and the text tag of the configuration.
    public static let samplesTag = "samples", configurationTag = "configuration"

    public struct Summary: Equatable, Sendable {
        public var steps = 0, validations = 0, samples = 0, skippedLines = 0
        public var file = ""
    }

    /// Writes the events of `run` into `directory`, which must hold none yet.
    /// - Parameter configuration: the run's configuration JSON (from its newest checkpoint), if known.
    @discardableResult
    public static func write(run: String, to directory: String, configuration: String?) throws -> Summary {
        guard let data = MetricsLog.contents(ofRun: run) else {
            throw TensorBoardError("\(run): no \(MetricsLog.fileName) (not a training run, or it has not logged a step yet)")
        }
        var steps: [(step: Int, fields: [MetricsLog.Key: Any])] = [], validations = steps
        var summary = Summary()
        summary.skippedLines = data.withUnsafeBytes { raw in
            MetricsLog.read(raw.bindMemory(to: UInt8.self)) { event, step, line in
                guard let step = Int(exactly: step) else { return false }
                switch event {
                case .step:
                    dropFrom(step, &steps)
                    dropFrom(step, &validations)
                    steps.append((step, fields(line)))
                case .validation:
                    dropFrom(step, &validations)
                    validations.append((step, fields(line)))
                case .checkpoint, nil: break
                }
                return true
            }
        }
        let log = try TensorBoardLog(directory: directory, step: 0)
        if let configuration { try log.configuration(configuration) }
        for (step, fields) in steps { try log.metrics(.step, step: step, fields) }
        for (step, fields) in validations { try log.metrics(.validation, step: step, fields) }
        for (step, path) in sampleStrips(run) {
            guard let png = FileManager.default.contents(atPath: path) else { continue }
            try log.image(samplesTag, step: step, png: png)
            summary.samples += 1
        }
        summary.steps = steps.count
        summary.validations = validations.count
        summary.file = log.file.path
        return summary
    }

    /// A line's numbers and arrays of numbers by key: the fields
    /// `TensorBoardLog.metrics` takes, as `train --tensorboard` passes them.
    static func fields(_ line: JSONLineScanner) -> [MetricsLog.Key: Any] {
        var fields: [MetricsLog.Key: Any] = [:]
        var numbers: [Double] = []
        for key in MetricsLog.Key.allCases {
            if let value = line.number(key) { fields[key] = value } else if line.numbers(key, into: &numbers) { fields[key] = numbers }
        }
        return fields
    }

    /// Drops the events at or after `step` (an earlier attempt's, which the newer one repeats).
    static func dropFrom(_ step: Int, _ list: inout [(step: Int, fields: [MetricsLog.Key: Any])]) {
        while let last = list.last, last.step >= step { list.removeLast() }
    }

    /// RUN/samples/step-NNNNNNNN.png, by step.
    static func sampleStrips(_ run: String) -> [(step: Int, path: String)] {
        let directory = (run as NSString).appendingPathComponent("samples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".png"),
                  let step = Int(name.dropFirst(5).dropLast(4)) else { return nil }
            return (step, (directory as NSString).appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }
}
