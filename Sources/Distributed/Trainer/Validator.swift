import DataPrep
import Foundation
import Net
import Imaging

/// Validation L1 and PSNR of the generator (running BatchNorm statistics; its
/// moving average with `--ema`) on
/// a fixed set of held-out clips.
public struct ValidationResult: Codable, Equatable {
    /// Mean |ab_pred − ab_true| in network units (ab/110), as the training L1.
    public var l1: Double
    /// Mean over frames of the PSNR of the sRGB frame rebuilt from the true L
    /// and the predicted ab, against the one rebuilt from the true L and ab:
    /// the same definition as eval's PSNR column (per-frame mean, 100 dB cap,
    /// `PSNR.fromMSE`), not the same number: validation rebuilds sRGB with
    /// `CIELAB.rgb8` (Double), eval with `LabToRGB8` (float tables).
    public var psnr: Double
    public var clips: Int
}

/// Runs validation, the work split round-robin over ranks and the sums
/// all-reduced; every rank must call `run()` at the same steps.
final class Validator {
    let data: TrainingData
    let model: Pix2PixTrainer
    let options: TrainingOptions
    let comm: Communicator
    /// The validation clips, the same on every rank: the first clips of each
    /// validation sequence, taken round-robin over sequences.
    let clips: [Clip]
    private lazy var loader = ClipLoader(sequences: data.validation, shards: data.shards, frameSize: data.frameSize,
                                         clipLength: options.clip, capacity: options.batch)
    private var rgbPredicted: [UInt8] = []
    private var rgbTrue: [UInt8] = []

    init(data: TrainingData, model: Pix2PixTrainer, options: TrainingOptions, comm: Communicator) {
        self.data = data
        self.model = model
        self.options = options
        self.comm = comm
        let T = options.clip
        var perSequence = data.validation.enumerated().map { index, s in
            (0..<(s.frames / T)).map { Clip(sequenceIndex: index, sequenceID: s.id, startFrame: $0 * T) }
        }
        var chosen: [Clip] = []
        var round = 0
        while chosen.count < options.validationClips && perSequence.contains(where: { round < $0.count }) {
            for list in perSequence where round < list.count && chosen.count < options.validationClips {
                chosen.append(list[round])
            }
            round += 1
        }
        perSequence.removeAll()
        clips = chosen
    }

    var hasData: Bool { !clips.isEmpty }

    /// Validation over all ranks, on G's moving average when training keeps
    /// one; nil when there is nothing to validate on.
    func run() throws -> ValidationResult? {
        try model.withEvaluationWeights { try validate() }
    }

    private func validate() throws -> ValidationResult? {
        guard hasData else { return nil }
        let mine = clips.indices.filter { $0 % comm.size == comm.rank }.map { clips[$0] }
        var sums = [Double](repeating: 0, count: 4)  // Σ|Δab|, ab elements, Σ per-frame PSNR, frames
        let G = model.generator
        G.training = false
        defer { G.training = true }
        let T = options.clip, pixels = data.frameSize * data.frameSize
        var i = 0
        while i < mine.count {
            let part = Array(mine[i..<min(i + options.batch, mine.count)])
            i += part.count
            let batch = try loader.load(part)
            let fake = G.forward(L: batch.L, batch: part.count, time: T)
            let n = part.count * T
            for k in 0..<(n * 2 * pixels) { sums[0] += Double(abs(fake.data[k] - batch.ab.data[k])) }
            sums[1] += Double(n * 2 * pixels)
            if rgbPredicted.count < 3 * pixels {
                rgbPredicted = [UInt8](repeating: 0, count: 3 * pixels)
                rgbTrue = rgbPredicted
            }
            for f in 0..<n {
                rgbPredicted.withUnsafeMutableBufferPointer { p in
                    LabCodec.networkToRGB8(l: batch.L.data + f * pixels, ab: fake.data + f * 2 * pixels, pixels: pixels, rgb: p.baseAddress!)
                }
                rgbTrue.withUnsafeMutableBufferPointer { p in
                    LabCodec.networkToRGB8(l: batch.L.data + f * pixels, ab: batch.ab.data + f * 2 * pixels, pixels: pixels, rgb: p.baseAddress!)
                }
                var squares = 0
                for k in 0..<(3 * pixels) {
                    let d = Int(rgbPredicted[k]) - Int(rgbTrue[k])
                    squares += d * d
                }
                sums[2] += PSNR.fromMSE(Double(squares) / Double(3 * pixels))
                sums[3] += 1
            }
        }
        try sums.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
        return ValidationResult(l1: sums[0] / max(sums[1], 1), psnr: sums[2] / max(sums[3], 1), clips: clips.count)
    }

    /// Rank 0: RUN/samples/step-NNNNNNNN.png, one row per frame of the first
    /// validation clip: grey | vcolor | truth.
    func writeSample(step: Int, run: String) throws {
        try model.withEvaluationWeights { try drawSample(step: step, run: run) }
    }

    private func drawSample(step: Int, run: String) throws {
        guard let first = clips.first else { return }
        let G = model.generator
        G.training = false
        defer { G.training = true }
        let T = options.clip, S = data.frameSize, pixels = S * S
        let batch = try loader.load([first])
        let fake = G.forward(L: batch.L, batch: 1, time: T)
        let width = 3 * S, height = T * S
        var image = [UInt8](repeating: 0, count: width * height * 3)
        var rgb = [UInt8](repeating: 0, count: 3 * pixels)
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: 2 * pixels)
        zeros.initialize(repeating: 0, count: 2 * pixels)
        defer { zeros.deallocate() }
        for t in 0..<T {
            for (column, ab) in [(0, UnsafePointer(zeros)),
                                 (1, UnsafePointer(fake.data + t * 2 * pixels)),
                                 (2, UnsafePointer(batch.ab.data + t * 2 * pixels))] {
                rgb.withUnsafeMutableBufferPointer { p in
                    LabCodec.networkToRGB8(l: batch.L.data + t * pixels, ab: ab, pixels: pixels, rgb: p.baseAddress!)
                }
                for y in 0..<S {
                    let row = ((t * S + y) * width + column * S) * 3
                    for x in 0..<(3 * S) { image[row + x] = rgb[y * 3 * S + x] }
                }
            }
        }
        let path = Self.samplePath(step: step, run: run)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try PNGWriter.write(rgb: image, width: width, height: height, to: path)
    }

    /// RUN/samples/step-NNNNNNNN.png.
    static func samplePath(step: Int, run: String) -> String {
        ((run as NSString).appendingPathComponent("samples") as NSString)
            .appendingPathComponent("step-" + String(format: "%08d", step) + ".png")
    }
}
