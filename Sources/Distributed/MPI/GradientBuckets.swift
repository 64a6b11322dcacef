/// Averages one flat gradient buffer across ranks in ~25 MB buckets, so the
/// all-reduce of the last layers' gradients runs while earlier layers are
/// still in their backward pass (PyTorch DDP's scheme, without the hooks
/// machinery: the trainer calls `bucketReady` itself).
///
/// Per step: `bucketReady(i)` for each bucket as soon as all of its gradients
/// are final (any order, but the same order on every rank: MPI matches
/// non-blocking collectives by the order they were started), optionally
/// `progress()` between layers, then `waitAll()`, which starts any bucket not
/// yet started (in index order), waits for all of them and multiplies by
/// 1/size. After `waitAll` the buffer holds the average and the next step can
/// begin.
///
/// With the tensor-aligned init, every bucket starts at a tensor. Parameters
/// are declared in forward order and backward visits layers in reverse, so
/// bucket `i` is ready once the layer owning element `ranges[i].lowerBound`
/// has finished its backward pass (`bucket(containing:)` finds it). A
/// network's buffer gets its own GradientBuckets (one for G, one for D).
public final class GradientBuckets {
    /// Default bucket size, PyTorch DDP's `bucket_cap_mb`.
    public static let defaultBucketBytes = 25 << 20

    public let communicator: Communicator
    public let buffer: UnsafeMutableBufferPointer<Float>
    /// The element ranges of the buckets: contiguous, in order, covering the buffer.
    public let ranges: [Range<Int>]
    /// fp32 sums the buffer itself; bf16 rounds each bucket into `wire` when
    /// it starts and widens the sum back when all have finished.
    public let precision: AllReducePrecision
    private let wire: UnsafeMutableBufferPointer<UInt16>
    private var requests: [AllReduceRequest?]
    /// Over all steps so far: buckets already finished when `waitAll` began
    /// (overlap that worked), and buckets waited for (diagnostics).
    public private(set) var finishedBeforeWait = 0
    public private(set) var bucketsWaitedFor = 0

    /// Buckets that start at `boundaries` (element offsets; 0 is implied, and
    /// every boundary must lie strictly inside the buffer, ascending).
    public init(communicator: Communicator, buffer: UnsafeMutableBufferPointer<Float>, boundaries: [Int],
                precision: AllReducePrecision = .fp32) throws {
        var starts = [0]
        for b in boundaries where b != 0 {
            guard b > starts.last!, b < buffer.count else {
                throw CommunicatorError("gradient bucket boundaries must ascend strictly inside 0..<\(buffer.count); got \(boundaries)")
            }
            starts.append(b)
        }
        var ranges: [Range<Int>] = []
        for (i, s) in starts.enumerated() {
            ranges.append(s..<(i + 1 < starts.count ? starts[i + 1] : buffer.count))
        }
        if buffer.count == 0 { ranges = [] }
        self.communicator = communicator
        self.buffer = buffer
        self.ranges = ranges
        self.requests = Array(repeating: nil, count: ranges.count)
        self.precision = precision
        self.wire = .allocate(capacity: precision == .bf16 ? buffer.count : 0)
        wire.initialize(repeating: 0)
    }

    deinit {
        // MPI may still write into the wire: finish what is in flight first.
        for i in requests.indices { requests[i] = nil }
        wire.deallocate()
    }

    /// Buckets of about `bucketBytes` each that never split a tensor:
    /// `tensorOffsets` are where the parameter tensors start in the buffer
    /// (ascending); consecutive tensors are grouped until a bucket reaches
    /// the target size. Without offsets the buffer is cut every `bucketBytes`.
    public convenience init(communicator: Communicator, buffer: UnsafeMutableBufferPointer<Float>,
                            tensorOffsets: [Int]? = nil, bucketBytes: Int = GradientBuckets.defaultBucketBytes,
                            precision: AllReducePrecision = .fp32) throws {
        let boundaries = GradientBuckets.boundaries(count: buffer.count, tensorOffsets: tensorOffsets,
                                                    bucketElements: max(1, bucketBytes / MemoryLayout<Float>.stride))
        try self.init(communicator: communicator, buffer: buffer, boundaries: boundaries, precision: precision)
    }

    /// The bucket starts (excluding 0) for `count` elements: cut at the first
    /// tensor start at or after each multiple of `bucketElements` of fill.
    public static func boundaries(count: Int, tensorOffsets: [Int]?, bucketElements: Int) -> [Int] {
        let cuts = tensorOffsets ?? Array(stride(from: 0, to: count, by: bucketElements))
        var result: [Int] = []
        var start = 0
        for c in cuts where c > start && c < count {
            if c - start >= bucketElements {
                result.append(c)
                start = c
            }
        }
        return result
    }

    public var count: Int { ranges.count }

    /// The bucket holding element `offset`.
    public func bucket(containing offset: Int) -> Int? {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(offset) ? lo : nil
    }

    /// Starts the all-reduce of bucket `i`; its gradients must be final.
    public func bucketReady(_ i: Int) throws {
        guard ranges.indices.contains(i) else {
            throw CommunicatorError("gradient bucket \(i) does not exist (there are \(ranges.count))")
        }
        guard requests[i] == nil else {
            throw CommunicatorError("gradient bucket \(i) was marked ready twice in one step")
        }
        let slice = UnsafeMutableBufferPointer(rebasing: buffer[ranges[i]])
        switch precision {
        case .fp32:
            requests[i] = try communicator.startAllReduceSum(slice)
        case .bf16:
            guard communicator.size > 1 else { requests[i] = try communicator.startAllReduceSum(slice); break }
            let wireSlice = UnsafeMutableBufferPointer(rebasing: wire[ranges[i]])
            BFloat16.narrow(slice, into: wireSlice)
            requests[i] = try communicator.startAllReduceSum(slice, bf16: wireSlice)
        }
        try progress()
    }

    /// Lets MPI advance the reductions in flight (OpenMPI has no progress thread).
    public func progress() throws {
        for case let r? in requests where !r.isComplete { try r.test() }
    }

    /// Starts any bucket not yet started, waits for all, scales to the mean.
    public func waitAll() throws {
        for case let r? in requests where r.isComplete { finishedBeforeWait += 1 }
        bucketsWaitedFor += requests.count
        for i in ranges.indices where requests[i] == nil { try bucketReady(i) }
        for case let r? in requests { try r.wait() }
        if precision == .bf16, communicator.size > 1 {
            BFloat16.widen(wire, into: buffer, scaledBy: 1 / Float(communicator.size))
        } else {
            scale(buffer, by: 1 / Float(communicator.size))
        }
        for i in requests.indices { requests[i] = nil }
    }
}
