import DataPrep
import Foundation
import Net
import Imaging

/// Turns the sampler's clips into the network's tensors, reading the next
/// batch on a background thread while the current step computes.
///
/// A batch of `B` clips of `T` frames becomes `L` `[B*T, 1, S, S]` (`L/50 − 1`)
/// and `ab` `[B*T, 2, S, S]` (`ab/110`), frame `n = b*T + t` (the layout the
/// model expects). Two slots, each with its lab8 staging bytes and its two
/// tensors, are allocated once: the caller computes on the slot `next()` last
/// returned while the worker fills the other, so steady-state training
/// allocates nothing here and waits for I/O only when reading is slower than
/// a step.
///
/// Use:
///
///     loader.prefetch(batch0)
///     for step in … {
///         let b = try loader.next()          // waits for the prefetched batch
///         loader.prefetch(batchOfNextStep)   // starts reading into the other slot
///         train(b.L, b.ab)
///     }
///
/// `load(_:)` reads synchronously on the calling thread (validation).
/// Reading errors (a bad shard, a clip outside its sequence) surface from
/// `next()`/`load()` as thrown errors, never as a trap on the worker thread.
public final class ClipLoader {
    /// One batch, valid until the second `next()` after the one that returned it.
    public struct Batch {
        public let L: Tensor
        public let ab: Tensor
        public let clips: [Clip]
    }

    public let frameSize: Int
    public let clipLength: Int
    /// Clips per batch the slots are sized for.
    public let capacity: Int
    private let shared: Shared
    private var worker: Thread?

    /// - Parameters:
    ///   - sequences: indexed by `Clip.sequenceIndex` (the sampler's order).
    ///   - capacity: the most clips a batch can have.
    ///   - augmentation: applied to prefetched batches given a key (never to `load`).
    public init(sequences: [ClipSequence], shards: ShardSet, frameSize: Int, clipLength: Int, capacity: Int,
                augmentation: Augmentation? = nil) {
        precondition(frameSize > 0 && clipLength > 0 && capacity > 0)
        self.frameSize = frameSize
        self.clipLength = clipLength
        self.capacity = capacity
        shared = Shared(sequences: sequences, shards: shards, frameSize: frameSize, clipLength: clipLength, capacity: capacity,
                        augmentation: augmentation)
    }

    deinit {
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Starts reading `clips` into the slot the caller is not using. At most
    /// one batch may be in flight: call `next()` before the next `prefetch`.
    /// With an augmentation, `augmentationKey` (`Augmentation.key`) picks its draws.
    public func prefetch(_ clips: [Clip], augmentationKey: UInt64 = 0) {
        prefetch(clips, augmentationKeys: [augmentationKey])
    }

    /// `prefetch` of a batch made of `augmentationKeys.count` equal
    /// micro-batches, each with its own key, so that clip i of micro-batch k
    /// gets the draw of clip i of a rank whose batch had key k.
    public func prefetch(_ clips: [Clip], augmentationKeys: [UInt64]) {
        precondition(!augmentationKeys.isEmpty && clips.count % augmentationKeys.count == 0,
                     "\(clips.count) clips in \(augmentationKeys.count) micro-batches")
        startWorkerIfNeeded()
        let s = shared
        s.condition.lock()
        defer { s.condition.unlock() }
        precondition(s.request == nil && s.ready == nil, "ClipLoader.prefetch with a batch already in flight")
        let slot = s.current == 0 ? 1 : 0
        s.request = (slot, clips, augmentationKeys)
        s.condition.broadcast()
    }

    /// The batch of the last `prefetch`, waiting for it if needed.
    public func next() throws -> Batch {
        let s = shared
        s.condition.lock()
        defer { s.condition.unlock() }
        precondition(s.request != nil || s.ready != nil || s.error != nil, "ClipLoader.next without prefetch")
        while s.ready == nil && s.error == nil { s.condition.wait() }
        if let error = s.error {
            s.error = nil
            s.request = nil
            throw error
        }
        let slot = s.ready!
        s.ready = nil
        s.current = slot
        return s.slots[slot].batch
    }

    /// Reads `clips` now, on this thread (no prefetch may be in flight).
    public func load(_ clips: [Clip]) throws -> Batch {
        let s = shared
        s.condition.lock()
        precondition(s.request == nil && s.ready == nil, "ClipLoader.load with a prefetch in flight")
        s.condition.unlock()
        try s.fill(slot: 0, clips)
        s.current = 0
        return s.slots[0].batch
    }

    private func startWorkerIfNeeded() {
        guard worker == nil else { return }
        let s = shared
        let thread = Thread { s.run() }
        thread.name = "vcolor-clip-loader"
        thread.start()
        worker = thread
    }

    /// The state the worker thread shares with the loader (the thread holds
    /// this, not the loader, so dropping the loader stops the thread).
    final class Shared: @unchecked Sendable {
        final class Slot {
            let lab8: UnsafeMutableBufferPointer<UInt8>
            let L: Tensor
            let ab: Tensor
            var clips: [Clip] = []
            var batch: Batch { Batch(L: L, ab: ab, clips: clips) }

            init(frames: Int, size: Int) {
                lab8 = .allocate(capacity: frames * 3 * size * size)
                lab8.initialize(repeating: 0)
                L = Tensor(Shape(frames, 1, size, size))
                ab = Tensor(Shape(frames, 2, size, size))
            }

            deinit { lab8.deallocate() }
        }

        let sequences: [ClipSequence]
        let shards: ShardSet
        let frameSize: Int
        let clipLength: Int
        let capacity: Int
        let slots: [Slot]
        let augmentation: Augmentation?
        /// One plane for the augmentation's resize, used by the worker thread only.
        let scratch: UnsafeMutableBufferPointer<Float>

        let condition = NSCondition()
        var request: (slot: Int, clips: [Clip], keys: [UInt64])?
        var ready: Int?
        var current = 1
        var error: Error?
        var stopping = false

        init(sequences: [ClipSequence], shards: ShardSet, frameSize: Int, clipLength: Int, capacity: Int,
             augmentation: Augmentation?) {
            self.sequences = sequences
            self.shards = shards
            self.frameSize = frameSize
            self.clipLength = clipLength
            self.capacity = capacity
            slots = (0..<2).map { _ in Slot(frames: capacity * clipLength, size: frameSize) }
            self.augmentation = augmentation
            scratch = .allocate(capacity: augmentation == nil ? 0 : frameSize * frameSize)
        }

        deinit { scratch.deallocate() }

        func run() {
            condition.lock()
            while true {
                while request == nil && !stopping { condition.wait() }
                if stopping { break }
                let (slot, clips, keys) = request!
                condition.unlock()
                var failure: Error?
                do {
                    try fill(slot: slot, clips)
                    if let augmentation { augment(slot: slot, augmentation, keys: keys) }
                } catch { failure = error }
                condition.lock()
                request = nil
                if let failure { error = failure } else { ready = slot }
                condition.broadcast()
            }
            condition.unlock()
        }

        /// Reads every clip's frames into the slot's staging bytes and converts them.
        func fill(slot index: Int, _ clips: [Clip]) throws {
            guard clips.count <= capacity else {
                throw DataError("a batch of \(clips.count) clips does not fit the loader's \(capacity)")
            }
            let slot = slots[index]
            let T = clipLength, S = frameSize
            let pixels = S * S, clipBytes = T * 3 * pixels
            slot.L.resize(Shape(clips.count * T, 1, S, S))
            slot.ab.resize(Shape(clips.count * T, 2, S, S))
            for (b, clip) in clips.enumerated() {
                guard sequences.indices.contains(clip.sequenceIndex) else {
                    throw DataError("clip \(clip) names sequence #\(clip.sequenceIndex), the loader has \(sequences.count)")
                }
                let sequence = sequences[clip.sequenceIndex]
                guard sequence.id == clip.sequenceID else {
                    throw DataError("clip \(clip) does not match sequence #\(clip.sequenceIndex) (\(sequence.id))")
                }
                guard clip.startFrame >= 0, clip.startFrame + T <= sequence.frames else {
                    throw DataError("clip \(clip) of \(T) frames runs past sequence \(sequence.id) (\(sequence.frames) frames)")
                }
                let staging = UnsafeMutableBufferPointer(rebasing: slot.lab8[(b * clipBytes)..<((b + 1) * clipBytes)])
                try shards.source(sequence.shard).readFrames(sequence.id, start: clip.startFrame, count: T, into: staging)
                LabCodec.lab8ToNetwork(UnsafePointer(staging.baseAddress!), frames: T, pixels: pixels,
                                       l: slot.L.data + b * T * pixels, ab: slot.ab.data + b * T * 2 * pixels)
            }
            slot.clips = clips
        }

        /// Each clip of the slot through its own draw of `augmentation`: clip
        /// i of micro-batch k draws as clip i of a batch keyed `keys[k]`.
        func augment(slot index: Int, _ augmentation: Augmentation, keys: [UInt64]) {
            let slot = slots[index]
            let T = clipLength, S = frameSize, pixels = S * S
            let perKey = slot.clips.count / keys.count
            for b in 0..<slot.clips.count {
                let draw = augmentation.draw(key: keys[b / perKey], index: b % perKey, size: S)
                augmentation.apply(draw, L: slot.L.data + b * T * pixels, ab: slot.ab.data + b * T * 2 * pixels,
                                   frames: T, size: S, scratch: scratch.baseAddress!)
            }
        }
    }
}

/// A data set or batch the trainer cannot use; one line for stderr.
public struct DataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
