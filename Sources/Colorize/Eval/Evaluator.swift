import DataPrep
import Console
import Foundation
import Media
import Net
import ModelFiles
import Imaging

/// `vcolor eval`: several models on the same held-out frames, side by side.
///
/// Each sequence of the split is read from its shard once and run through
/// every model, a chunk of frames at a time, with the LSTM state carried
/// through the whole sequence (reset at the next one): the way colorize runs a
/// shot, so the temporal scores say what a viewer would see. The input is the
/// stored L; the output's colour is the model's a*b*; the truth is the stored
/// frame. Per frame: PSNR and SSIM of the RGB images, mean |Δa*b*|, the
/// output's colourfulness; per consecutive pair: the flicker measure; per
/// sequence: CDC. Beside the models, the same scores for the grey baseline
/// (the true L with a*b* = 0) and the truth's own colourfulness, change and CDC.
public final class Evaluator {
    public let models: [LoadedModel]
    public let batch: Int

    public init(models: [LoadedModel], batch: Int = 8) {
        precondition(!models.isEmpty && batch >= 1)
        self.models = models
        self.batch = batch
    }

    public func run(data: String, split: String = "val", maxFrames: Int? = nil,
                    progress: ProgressLine? = nil) throws -> EvalReport {
        let plan = try EvalPlan(data: data, split: split, maxFrames: maxFrames, models: models)
        var rows = models.map { RowScorer(model: $0.path, temporal: $0.config.temporal.rawValue, size: plan.size) }
        var grey = RowScorer(model: "grey", temporal: "grey", size: plan.size)
        var truth = TruthScorer()
        let run = SequenceRun(models: models, size: plan.size, batch: batch)
        var readers: [String: ShardReader] = [:]
        defer { readers.values.forEach { $0.close() } }
        var frames = 0
        for (sequence, count) in plan.items {
            let path = DatasetIndex.shardPath(data, sequence.shard)
            let reader = try readers[path] ?? ShardReader(path: path)
            readers[path] = reader
            try run.score(sequence.id, frames: count, from: reader, rows: &rows, grey: &grey, truth: &truth) {
                progress?.update(frames + $0)
            }
            frames += count
        }
        progress?.finish(frames)
        return EvalReport(data: data, split: split, sequences: plan.items.count, frames: frames,
                          width: plan.size, height: plan.size, models: rows.map { $0.finished() },
                          grey: grey.finished(), truth: truth.finished())
    }
}

/// One sequence through every model, a chunk of frames at a time, with the
/// LSTM state carried from chunk to chunk; every row scored frame by frame.
/// The buffers are reused from sequence to sequence.
final class SequenceRun {
    let models: [LoadedModel]
    let streams: [GeneratorStream]
    let size: Int, batch: Int
    private let lab8: UnsafeMutableBufferPointer<UInt8>
    private let L: Tensor
    private let unusedAB: Tensor
    private var outputAB: [Float]
    private let greyAB: [Float]

    init(models: [LoadedModel], size: Int, batch: Int) {
        self.models = models
        streams = models.map { GeneratorStream($0.generator) }
        self.size = size
        self.batch = batch
        lab8 = .allocate(capacity: batch * 3 * size * size)
        L = Tensor(Shape(batch, 1, size, size))
        unusedAB = Tensor(Shape(batch, 2, size, size))
        outputAB = [Float](repeating: 0, count: 2 * size * size)
        greyAB = outputAB
    }

    deinit { lab8.deallocate() }

    func score(_ id: String, frames count: Int, from reader: ShardReader, rows: inout [RowScorer],
               grey: inout RowScorer, truth: inout TruthScorer, progress: (Int) -> Void) throws {
        let plane = size * size
        streams.forEach { $0.reset() }
        var start = 0
        while start < count {
            let n = min(batch, count - start)
            try reader.readFrames(id, start: start, count: n,
                                  into: UnsafeMutableBufferPointer(rebasing: lab8[0..<(n * 3 * plane)]))
            let truths = (0..<n).map { truthFrame(lab8.baseAddress! + $0 * 3 * plane) }
            for t in truths {
                try truth.add(t)
                try greyAB.withUnsafeBufferPointer { try grey.add(ab: $0, truth: t) }
            }
            L.resize(Shape(n, 1, size, size))
            unusedAB.resize(Shape(n, 2, size, size))
            LabCodec.lab8ToNetwork(lab8.baseAddress!, frames: n, pixels: plane, l: L.data, ab: unusedAB.data)
            for (m, stream) in streams.enumerated() {
                let ab = stream.forward(L: L, frames: n)
                // A NaN would be scored as `nan`: the model is refused instead.
                try models[m].checkOutput(ab, at: "sequence \(id), frames \(start)–\(start + n - 1)")
                for f in 0..<n {
                    let out = ab.data + f * 2 * plane
                    let scale = Float(LabCodec.chromaRange)
                    for p in 0..<(2 * plane) { outputAB[p] = out[p] * scale }
                    try outputAB.withUnsafeBufferPointer { try rows[m].add(ab: $0, truth: truths[f]) }
                }
            }
            start += n
            progress(start)
        }
        for m in rows.indices { rows[m].endSequence(id: id) }
        grey.endSequence(id: id)
        truth.endSequence(id: id)
    }

    /// A stored lab8 frame as RGB, a*b* and L*.
    func truthFrame(_ frame: UnsafePointer<UInt8>) -> TruthFrame {
        let plane = size * size
        var t = TruthFrame(rgb: RGBImage(width: size, height: size),
                           ab: [Float](repeating: 0, count: 2 * plane), l: [Float](repeating: 0, count: plane))
        t.rgb.pixels.withUnsafeMutableBufferPointer { LabCodec.lab8ToRGB8(frame, pixels: plane, rgb: $0.baseAddress!) }
        for p in 0..<plane {
            let lab = CIELAB.lab(fromLab8: frame[p], frame[plane + p], frame[2 * plane + p])
            t.l[p] = Float(lab.l)
            t.ab[p] = Float(lab.a)
            t.ab[plane + p] = Float(lab.b)
        }
        return t
    }
}
