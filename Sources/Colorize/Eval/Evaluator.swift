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
/// output's colourfulness; per consecutive pair: the flicker measure.
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
        let index = try DatasetIndex.load(data)
        let size = index.width
        guard index.width == index.height else {
            throw MediaError("\(data): frames are \(index.width)×\(index.height); eval needs square frames")
        }
        for m in models where m.config.size != size {
            throw MediaError("\(m.path): the model works on \(m.config.size)² frames but \(data) holds \(size)² frames")
        }
        var sequences = index.sequences(split: split)
        guard !sequences.isEmpty else {
            let splits = Set(index.sequences.map(\.split)).sorted().joined(separator: ", ")
            throw MediaError("\(data): no sequences in split '\(split)' (splits: \(splits.isEmpty ? "none" : splits))")
        }
        // The frame budget: whole sequences in index order, the last one cut short.
        var plan: [(DatasetIndex.Sequence, Int)] = []
        var budget = maxFrames ?? Int.max
        for s in sequences where budget > 0 {
            let n = min(s.frames, budget)
            plan.append((s, n))
            budget -= n
        }
        sequences = plan.map(\.0)

        let plane = size * size
        let streams = models.map { GeneratorStream($0.generator) }
        var scores = models.map { ModelScores(model: $0.path, temporal: $0.config.temporal.rawValue) }
        var flicker = [TemporalFlicker](repeating: TemporalFlicker(), count: models.count)
        var truthColourfulness = 0.0
        var frames = 0

        let lab8 = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: batch * 3 * plane)
        defer { lab8.deallocate() }
        let L = Tensor(Shape(batch, 1, size, size))
        let trueAB = Tensor(Shape(batch, 2, size, size))
        var predictedAB = [Float](repeating: 0, count: 2 * plane)
        var truthABStar = [Float](repeating: 0, count: 2 * plane)
        var lStar = [Float](repeating: 0, count: plane)
        var truthRGB = RGBImage(width: size, height: size)
        var outputRGB = RGBImage(width: size, height: size)
        var readers: [String: ShardReader] = [:]
        defer { readers.values.forEach { $0.close() } }

        for (sequence, count) in plan {
            let path = DatasetIndex.shardPath(data, sequence.shard)
            let reader: ShardReader
            if let r = readers[path] { reader = r } else {
                reader = try ShardReader(path: path)
                readers[path] = reader
            }
            streams.forEach { $0.reset() }
            for i in flicker.indices { flicker[i].endSequence() }
            var start = 0
            while start < count {
                let n = min(batch, count - start)
                try reader.readFrames(sequence.id, start: start, count: n,
                                      into: UnsafeMutableBufferPointer(rebasing: lab8[0..<(n * 3 * plane)]))
                L.resize(Shape(n, 1, size, size))
                trueAB.resize(Shape(n, 2, size, size))
                LabCodec.lab8ToNetwork(lab8.baseAddress!, frames: n, pixels: plane, l: L.data, ab: trueAB.data)
                // Truth for every frame of the chunk, then each model on the chunk.
                var truths: [(rgb: RGBImage, ab: [Float], l: [Float])] = []
                for f in 0..<n {
                    let frame = lab8.baseAddress! + f * 3 * plane
                    truthRGB.pixels.withUnsafeMutableBufferPointer {
                        LabCodec.lab8ToRGB8(frame, pixels: plane, rgb: $0.baseAddress!)
                    }
                    for p in 0..<plane {
                        lStar[p] = Float(frame[p]) * (100 / 255 as Float)
                        truthABStar[p] = Float(Int(frame[plane + p]) - 128)
                        truthABStar[plane + p] = Float(Int(frame[2 * plane + p]) - 128)
                    }
                    truthColourfulness += Colourfulness.hasler(truthRGB)
                    truths.append((truthRGB, truthABStar, lStar))
                }
                for (m, stream) in streams.enumerated() {
                    let ab = stream.forward(L: L, frames: n)
                    for f in 0..<n {
                        let out = ab.data + f * 2 * plane
                        for p in 0..<(2 * plane) { predictedAB[p] = out[p] * 110 }
                        let truth = truths[f]
                        truth.l.withUnsafeBufferPointer { l in
                            predictedAB.withUnsafeBufferPointer { pab in
                                outputRGB.pixels.withUnsafeMutableBufferPointer { rgb in
                                    LabToRGB8.convert(l: l.baseAddress!, a: pab.baseAddress!, b: pab.baseAddress! + plane,
                                                      count: plane, into: rgb.baseAddress!)
                                }
                            }
                        }
                        scores[m].psnr += try PSNR.rgb8(outputRGB, truth.rgb)
                        scores[m].ssim += try SSIM.rgb8(outputRGB, truth.rgb)
                        scores[m].colourfulness += Colourfulness.hasler(outputRGB)
                        try predictedAB.withUnsafeBufferPointer { p in
                            try truth.ab.withUnsafeBufferPointer { t in
                                scores[m].abError += try ChromaError.meanAbsolute(p, t)
                                try flicker[m].add(predicted: p, truth: t)
                            }
                        }
                        scores[m].frames += 1
                    }
                }
                frames += n
                start += n
                progress?.update(frames)
            }
        }
        progress?.finish(frames)
        let count = Double(max(frames, 1))
        for m in scores.indices {
            scores[m].psnr /= count
            scores[m].ssim /= count
            scores[m].abError /= count
            scores[m].colourfulness /= count
            scores[m].outputChange = flicker[m].predictedChange
            scores[m].flicker = flicker[m].value
        }
        return EvalReport(data: data, split: split, sequences: sequences.count, frames: frames,
                          width: size, height: size, truthColourfulness: truthColourfulness / count,
                          truthChange: flicker.first?.truthChange ?? 0, models: scores)
    }
}

extension EvalReport {
    /// The table for people: one row per model, flicker first.
    public func table() -> String {
        let names = models.map { ($0.model as NSString).lastPathComponent == $0.model ? $0.model : shortName($0.model) }
        let nameWidth = max(5, names.map(\.count).max() ?? 5)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func num(_ v: Double, _ format: String, _ n: Int) -> String {
            let s = String(format: format, v)
            return String(repeating: " ", count: max(0, n - s.count)) + s
        }
        var lines = ["eval: \(frames) frames in \(sequences) sequence\(sequences == 1 ? "" : "s") of split '\(split)' (\(width)×\(height))"]
        lines.append(pad("model", nameWidth) + "  temporal   flicker  |Δab|→out   Δa*b*    PSNR    SSIM  colourful")
        for (i, s) in models.enumerated() {
            lines.append(pad(names[i], nameWidth) + "  " + pad(s.temporal, 8)
                         + num(s.flicker, "%+.3f", 10) + num(s.outputChange, "%.3f", 11)
                         + num(s.abError, "%.2f", 8) + num(s.psnr, "%.2f", 8) + num(s.ssim, "%.4f", 8)
                         + num(s.colourfulness, "%.1f", 11))
        }
        lines.append(pad("truth", nameWidth) + "  " + pad("", 8) + num(0, "%+.3f", 10) + num(truthChange, "%.3f", 11)
                     + String(repeating: " ", count: 24) + num(truthColourfulness, "%.1f", 11))
        lines.append("flicker = mean |Δa*b*| between consecutive output frames minus the truth's (0: as steady as the "
                     + "truth, > 0: flickers); Δa*b* = mean |a*b* − true a*b*|; PSNR/SSIM on RGB.")
        return lines.joined(separator: "\n")
    }

    /// The last two path components (run directory and file), enough to tell runs apart.
    private func shortName(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.suffix(parts.count >= 3 && parts[parts.count - 2] == "checkpoints" ? 3 : 2).joined(separator: "/")
    }
}
