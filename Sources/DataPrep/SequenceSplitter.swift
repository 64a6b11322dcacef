/// Cuts one input's stream of compressed frames into sequences: at scene cuts,
/// and every `maxFrames` frames (so shards stay bounded). A sequence is sent to
/// the writer only once it has `minFrames` frames; shorter ones are dropped and
/// counted. A shot split for length loses nothing: the piece after a split stays
/// attached to the previous sequence until it reaches `minFrames` itself, and a
/// shorter tail is appended there. Sequences an earlier, interrupted run already stored (by ordinal)
/// are recognised and not sent again; decoding is deterministic, so they are the
/// same frames.
struct SequenceSplitter {
    let minFrames: Int
    let maxFrames: Int
    let batchFrames: Int
    let alreadyStored: Set<Int>
    let makeMeta: (_ ordinal: Int, _ firstFrame: Int) -> SequenceMeta
    let send: (WriterMessage) -> Void

    private var pending = CompressedFrames()
    private var count = 0
    private var firstFrame = 0
    private var meta: SequenceMeta?
    private var skipping = false
    /// A sequence ended for length whose end is not yet sent (see above).
    private var held: (meta: SequenceMeta, skipping: Bool)?
    private(set) var kept = 0
    private(set) var keptFrames = 0
    private(set) var droppedShort = 0
    private(set) var keptIDs: [String] = []

    init(minFrames: Int, maxFrames: Int, batchFrames: Int = 32, alreadyStored: Set<Int>,
         makeMeta: @escaping (Int, Int) -> SequenceMeta, send: @escaping (WriterMessage) -> Void) {
        self.minFrames = minFrames
        self.maxFrames = maxFrames
        self.batchFrames = batchFrames
        self.alreadyStored = alreadyStored
        self.makeMeta = makeMeta
        self.send = send
    }

    /// Adds frame `frameIndex` of the input; `cutBefore` ends the running sequence first.
    mutating func append(_ chunk: ArraySlice<UInt8>, frameIndex: Int, cutBefore: Bool) {
        if cutBefore { endSequence() } else if count == maxFrames { splitForLength() }
        if count == 0 { firstFrame = frameIndex }
        pending.append(chunk)
        count += 1
        if count >= minFrames && pending.count >= batchFrames { flush(isLast: false) }
    }

    /// Ends the input: the running sequence is kept or dropped.
    mutating func finish() { endSequence() }

    private mutating func flush(isLast: Bool) {
        if meta == nil, let h = held {
            // The piece after a length split is long enough: close the previous one.
            if !h.skipping { send(.frames(h.meta, CompressedFrames(), isFirst: false, isLast: true)) }
            held = nil
        }
        if meta == nil {
            let ordinal = kept
            meta = makeMeta(ordinal, firstFrame)
            skipping = alreadyStored.contains(ordinal)
            kept += 1
            keptIDs.append(meta!.id)
            if !skipping { send(.frames(meta!, pending, isFirst: true, isLast: isLast)); pending = CompressedFrames(); return }
        }
        if !skipping { send(.frames(meta!, pending, isFirst: false, isLast: isLast)) }
        pending = CompressedFrames()
    }

    private mutating func endSequence() {
        if count >= minFrames {
            flush(isLast: true)
            keptFrames += count
        } else if let h = held {
            // A short tail after a length split joins the sequence before it.
            if !h.skipping { send(.frames(h.meta, pending, isFirst: false, isLast: true)) }
            keptFrames += count
            held = nil
        } else if count > 0 {
            droppedShort += 1
        }
        reset()
    }

    /// Ends the running sequence (`maxFrames` long) without a cut, keeping it open.
    private mutating func splitForLength() {
        flush(isLast: false)
        keptFrames += count
        held = (meta!, skipping)
        reset()
    }

    private mutating func reset() {
        pending = CompressedFrames()
        count = 0
        meta = nil
        skipping = false
    }
}
