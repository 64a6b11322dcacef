/// Temporal flicker: how much more the output's colour changes from frame to
/// frame than the truth's does.
///
/// For each pair of consecutive frames of one sequence, `mean |Δab|` is the mean
/// over pixels and both channels of `|ab_t − ab_{t−1}|` (CIELAB units). The
/// flicker is the mean of that over all pairs for the output minus the same for
/// the truth. 0: the output moves exactly as much as the truth; > 0: it flickers
/// (a frame-by-frame colouriser re-guesses each frame's colours, which is what
/// the seed paper's LSTM is meant to fix); < 0: it is stiller than the scene.
/// Pairs never straddle sequences: call `endSequence()` at a cut.
public struct TemporalFlicker {
    private var previousPredicted: [Float] = []
    private var previousTruth: [Float] = []
    private var sumPredicted = 0.0
    private var sumTruth = 0.0
    /// Consecutive-frame pairs seen so far.
    public private(set) var pairs = 0

    public init() {}

    /// Adds the next frame of the current sequence: a* plane then b* plane each.
    public mutating func add(predicted: UnsafeBufferPointer<Float>, truth: UnsafeBufferPointer<Float>) throws {
        guard predicted.count == truth.count, !predicted.isEmpty else {
            throw MetricError("flicker: planes of \(predicted.count) and \(truth.count) values")
        }
        if !previousPredicted.isEmpty {
            guard previousPredicted.count == predicted.count else {
                throw MetricError("flicker: frame size changed within a sequence")
            }
            previousPredicted.withUnsafeBufferPointer { p in
                previousTruth.withUnsafeBufferPointer { q in
                    sumPredicted += ChromaError.meanAbsoluteDifference(predicted.baseAddress!, p.baseAddress!,
                                                                       count: predicted.count)
                    sumTruth += ChromaError.meanAbsoluteDifference(truth.baseAddress!, q.baseAddress!,
                                                                   count: truth.count)
                }
            }
            pairs += 1
            previousPredicted.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: predicted) }
            previousTruth.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: truth) }
        } else {
            previousPredicted = Array(predicted)
            previousTruth = Array(truth)
        }
    }

    /// Forgets the previous frame, so the next `add` starts a new sequence.
    public mutating func endSequence() {
        previousPredicted.removeAll(keepingCapacity: true)
        previousTruth.removeAll(keepingCapacity: true)
    }

    /// Mean |Δab| between consecutive output frames (0 before the first pair).
    public var predictedChange: Double { pairs == 0 ? 0 : sumPredicted / Double(pairs) }
    /// Mean |Δab| between consecutive true frames.
    public var truthChange: Double { pairs == 0 ? 0 : sumTruth / Double(pairs) }
    /// `predictedChange − truthChange`.
    public var value: Double { predictedChange - truthChange }
}
