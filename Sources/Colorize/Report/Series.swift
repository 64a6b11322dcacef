/// One curve: values against training step, in step order.
public struct Series: Equatable {
    public var x: [Double] = []
    public var y: [Double] = []

    public init() {}
    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count)
        self.x = x
        self.y = y
    }

    public var count: Int { x.count }
    public var isEmpty: Bool { x.isEmpty }

    /// Appends a point at `step`. A resumed run appends to the same
    /// metrics.jsonl and repeats the steps after its checkpoint: the newer
    /// attempt wins, so points at or beyond `step` are dropped first and the
    /// curve stays in step order.
    mutating func append(_ step: Double, _ value: Double) {
        dropPoints(from: step)
        x.append(step)
        y.append(value)
    }

    /// Drops the points at or beyond `step`: what a newer attempt's line
    /// replaces even when it brings no value of its own for this curve.
    mutating func dropPoints(from step: Double) {
        while let last = x.last, last >= step {
            x.removeLast()
            y.removeLast()
        }
    }

    /// An exponential moving average whose span grows with the curve (about a
    /// fiftieth of it, at least 1 point), bias-corrected at the start as
    /// TensorBoard does, so a short run is barely smoothed and a long one reads
    /// as a trend.
    public func smoothed() -> Series {
        guard count > 2 else { return self }
        let span = max(1.0, Double(count) / 50)
        let alpha = 2 / (span + 1)
        var average = 0.0, weight = 0.0
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count {
            average = (1 - alpha) * average + alpha * y[i]
            weight = (1 - alpha) * weight + alpha
            out[i] = average / weight
        }
        return Series(x: x, y: out)
    }

    /// At most `maxPoints` points that keep the curve's extremes: the points
    /// are cut into `maxPoints / 2` runs of consecutive points and each run
    /// gives its lowest and highest point, in step order. A spike survives
    /// downsampling; a plain every-n-th pick would usually drop it.
    public func downsampled(maxPoints: Int) -> Series {
        precondition(maxPoints >= 2)
        guard count > maxPoints else { return self }
        let buckets = maxPoints / 2
        var out = Series()
        out.x.reserveCapacity(2 * buckets)
        out.y.reserveCapacity(2 * buckets)
        for b in 0..<buckets {
            let start = b * count / buckets, end = (b + 1) * count / buckets
            guard end > start else { continue }
            var low = start, high = start
            for i in start..<end {
                if y[i] < y[low] { low = i }
                if y[i] > y[high] { high = i }
            }
            for i in (low == high ? [low] : [min(low, high), max(low, high)]) {
                out.append(x[i], y[i])
            }
        }
        return out
    }
}
