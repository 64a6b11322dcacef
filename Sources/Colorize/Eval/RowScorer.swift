import Imaging
/// One true frame as every row is scored against it.
struct TruthFrame {
    var rgb: RGBImage
    /// a* plane then b* plane, CIELAB units.
    var ab: [Float]
    /// L* plane.
    var l: [Float]
}

/// One row of the table (a model or the grey baseline): its output frames
/// scored against the truth one by one, its temporal figures sequence by
/// sequence. `scores` holds sums until `finished()` turns them into means.
struct RowScorer {
    private var scores: ModelScores
    private var flicker = TemporalFlicker()
    private var cdc = ColourDistributionConsistency()
    /// The current sequence's frames and sums.
    private var sequence = (frames: 0, psnr: 0.0, abError: 0.0)
    /// Sums over frames of each frame's mean a* and b*.
    private var meanAB = (a: 0.0, b: 0.0)
    private var output: RGBImage

    init(model: String, temporal: String, size: Int) {
        scores = ModelScores(model: model, temporal: temporal)
        output = RGBImage(width: size, height: size)
    }

    /// Scores one output frame: `ab` is its a* then b* plane (CIELAB units);
    /// its L* is the truth's.
    mutating func add(ab: UnsafeBufferPointer<Float>, truth: TruthFrame) throws {
        let plane = truth.l.count
        precondition(ab.count == 2 * plane && output.pixelCount == plane)
        truth.l.withUnsafeBufferPointer { l in
            output.pixels.withUnsafeMutableBufferPointer { rgb in
                LabToRGB8.convert(l: l.baseAddress!, a: ab.baseAddress!, b: ab.baseAddress! + plane,
                                  count: plane, into: rgb.baseAddress!)
            }
        }
        let psnr = try PSNR.rgb8(output, truth.rgb)
        let abError = try truth.ab.withUnsafeBufferPointer { t in
            try flicker.add(predicted: ab, truth: t)
            return try ChromaError.meanAbsolute(ab, t)
        }
        scores.psnr += psnr
        scores.abError += abError
        scores.ssim += try SSIM.rgb8(output, truth.rgb)
        scores.colourfulness += Colourfulness.hasler(output)
        let (meanA, meanB) = Self.planeMeans(ab, plane: plane)
        meanAB.a += meanA
        meanAB.b += meanB
        scores.frames += 1
        cdc.add(output)
        sequence.frames += 1
        sequence.psnr += psnr
        sequence.abError += abError
    }

    /// The means of the a* plane and the b* plane that follows it.
    static func planeMeans(_ ab: UnsafeBufferPointer<Float>, plane: Int) -> (a: Double, b: Double) {
        var sumA = 0.0, sumB = 0.0
        for i in 0..<plane {
            sumA += Double(ab[i])
            sumB += Double(ab[plane + i])
        }
        return (sumA / Double(max(plane, 1)), sumB / Double(max(plane, 1)))
    }

    /// Closes the current sequence: its own figures join `sequences`.
    mutating func endSequence(id: String) {
        let n = Double(max(sequence.frames, 1))
        scores.sequences.append(SequenceScores(id: id, frames: sequence.frames, psnr: sequence.psnr / n,
                                               abError: sequence.abError / n,
                                               flicker: flicker.endSequence()?.flicker, cdc: cdc.endSequence()))
        sequence = (0, 0, 0)
    }

    /// The means over every frame (and pair, and sequence).
    func finished() -> ModelScores {
        var s = scores
        let n = Double(max(s.frames, 1))
        s.psnr /= n
        s.ssim /= n
        s.abError /= n
        s.colourfulness /= n
        s.meanA = meanAB.a / n
        s.meanB = meanAB.b / n
        s.outputChange = flicker.predictedChange
        s.flicker = flicker.value
        s.cdc = cdc.value
        return s
    }
}

/// The true frames' own figures: colourfulness, change between consecutive
/// frames and CDC, overall and per sequence.
struct TruthScorer {
    private var scores = TruthScores()
    private var frames = 0
    private var sequenceFrames = 0
    /// Fed the truth as both sides: its `truthChange` is the truth's mean |Δab|.
    private var change = TemporalFlicker()
    private var cdc = ColourDistributionConsistency()

    /// Sums over frames of each frame's mean a* and b*.
    private var meanAB = (a: 0.0, b: 0.0)

    mutating func add(_ truth: TruthFrame) throws {
        scores.colourfulness += Colourfulness.hasler(truth.rgb)
        let plane = truth.l.count
        truth.ab.withUnsafeBufferPointer { ab in
            let (a, b) = RowScorer.planeMeans(ab, plane: plane)
            meanAB.a += a
            meanAB.b += b
        }
        try truth.ab.withUnsafeBufferPointer { try change.add(predicted: $0, truth: $0) }
        cdc.add(truth.rgb)
        frames += 1
        sequenceFrames += 1
    }

    mutating func endSequence(id: String) {
        scores.sequences.append(TruthScores.Sequence(id: id, frames: sequenceFrames,
                                                     change: change.endSequence()?.truthChange,
                                                     cdc: cdc.endSequence()))
        sequenceFrames = 0
    }

    func finished() -> TruthScores {
        var s = scores
        s.colourfulness /= Double(max(frames, 1))
        s.meanA = meanAB.a / Double(max(frames, 1))
        s.meanB = meanAB.b / Double(max(frames, 1))
        s.change = change.truthChange
        s.cdc = cdc.value
        return s
    }
}
