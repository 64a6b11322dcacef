import Foundation
import Storage

/// What a training run left behind, as the report shows it: the curves of
/// RUN/metrics.jsonl and the newest sample strip of RUN/samples.
public struct RunHistory {
    public var path: String
    /// A short name for legends: the run directory's last component.
    public var name: String
    public var lossD = Series(), lossG = Series(), lossGAN = Series(), lossL1 = Series()
    public var framesPerSecond = Series()
    /// all-reduce time / step time, in percent.
    public var allReduceShare = Series()
    public var validationL1 = Series(), validationPSNR = Series()
    /// Per step, over ranks (`rank_compute_s`): the fastest to the slowest
    /// rank's compute time, and the median rank's, seconds.
    public var rankCompute = Band(), rankComputeMedian = Series()
    /// Per step of a run of two or more ranks: the slowest rank's number, and
    /// how much longer than the median rank it computed (0.1 = 10 %).
    public var slowestRank = Series(), slowestExcess = Series()
    /// Lines of metrics.jsonl that were not a readable event (e.g. a line cut
    /// short by a crash); they are skipped and counted.
    public var skippedLines = 0
    /// The newest RUN/samples/step-*.png: its name and bytes.
    public var sample: (name: String, png: Data)?

    /// Reads RUN/metrics.jsonl (required) and the newest sample strip (if any).
    public static func load(_ run: String) throws -> RunHistory {
        guard let data = MetricsLog.contents(ofRun: run) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory)
            throw ReportError(exists && isDirectory.boolValue
                             ? "\(run): no metrics.jsonl (not a training run, or it has not logged a step yet)"
                             : "\(run): no such run directory")
        }
        let trimmed = run.hasSuffix("/") ? String(run.dropLast()) : run
        var history = RunHistory(path: run, name: (trimmed as NSString).lastPathComponent)
        data.withUnsafeBytes { history.read(jsonLines: $0.bindMemory(to: UInt8.self)) }
        history.sample = try newestSample(run)
        return history
    }

    /// One JSON object per line, as TrainingLog writes them (`MetricsLog.read`).
    mutating func read(jsonLines bytes: UnsafeBufferPointer<UInt8>) {
        var ranks: [Double] = []
        let unreadable = MetricsLog.read(bytes) { event, step, line in add(event, step, line, ranks: &ranks) }
        skippedLines += unreadable
    }

    /// Adds one event's numbers; false when a step or validation lacks those
    /// every chart of it needs. `ranks` is room for a step's per-rank
    /// numbers, reused from line to line.
    mutating func add(_ event: MetricsLog.Event?, _ step: Double, _ line: JSONLineScanner, ranks: inout [Double]) -> Bool {
        switch event {
        case .step:
            guard let d = line.number(.lossD), let g = line.number(.lossG),
                  let gan = line.number(.lossGAN), let l1 = line.number(.lossL1) else { return false }
            lossD.append(step, d)
            lossG.append(step, g)
            lossGAN.append(step, gan)
            lossL1.append(step, l1)
            if let f = line.number(.framesPerSecond) { framesPerSecond.append(step, f) }
            if let reduce = line.number(.allReduceSeconds), let seconds = line.number(.stepSeconds), seconds > 0 {
                allReduceShare.append(step, 100 * reduce / seconds)
            }
            if line.numbers(.rankComputeSeconds, into: &ranks), !ranks.isEmpty { addRanks(step, &ranks) }
        case .validation:
            guard let l1 = line.number(.validationL1), let psnr = line.number(.validationPSNR) else { return false }
            validationL1.append(step, l1)
            validationPSNR.append(step, psnr)
        case .checkpoint, nil:
            break   // checkpoints and events the report does not draw
        }
        return true
    }

    /// One step's compute time by rank. The slowest is the first rank with the
    /// largest time, as the trainer's `slowest_rank` (which older logs lack).
    private mutating func addRanks(_ step: Double, _ seconds: inout [Double]) {
        let slowest = seconds.indices.max { seconds[$0] < seconds[$1] }!
        let worst = seconds[slowest]
        seconds.sort()
        let n = seconds.count
        let median = n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2
        rankCompute.append(step, low: seconds[0], high: worst)
        rankComputeMedian.append(step, median)
        guard n > 1 else {
            // One rank names no straggler, but its steps still replace an
            // earlier attempt's (a 2-rank run resumed on 1 rank).
            slowestRank.dropPoints(from: step)
            slowestExcess.dropPoints(from: step)
            return
        }
        slowestRank.append(step, Double(slowest))
        slowestExcess.append(step, median > 0 ? worst / median - 1 : 0)
    }

    /// RUN/samples, where train puts its sample strips.
    static func samplesDirectory(_ run: String) -> String { (run as NSString).appendingPathComponent("samples") }

    static func newestSample(_ run: String) throws -> (name: String, png: Data)? {
        let directory = samplesDirectory(run)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        // step-NNNNNNNN.png: zero-padded, so the newest sorts last.
        guard let newest = names.filter({ $0.hasPrefix("step-") && $0.hasSuffix(".png") }).max() else { return nil }
        let path = (directory as NSString).appendingPathComponent(newest)
        guard let png = FileManager.default.contents(atPath: path) else {
            throw ReportError("\(path): cannot read the sample strip")
        }
        return (newest, png)
    }
}
