import Net
import ModelFiles
import Imaging
import Media

/// Colourises a film frame by frame, streaming.
///
/// For each frame: L* of the input at full resolution (colour input loses its
/// colour here); L* area-resized to the picture the network sees
/// (`RenderGeometry`: `renderSize` on the long side with the aspect kept and
/// the edge repeated into a margin, or squeezed into a square) and normalised
/// (`L/50 − 1`); the generator on a chunk of up to `batch` frames of one shot,
/// its LSTM state carried from chunk to chunk and reset at scene cuts (found
/// by prep's detector, both of its rules, on model-size L*a*b* frames through
/// the same `CutScorer` and `CutTracker`, one frame of look-ahead); the predicted
/// a*b* (×110) of the frame's part of the picture upsampled bilinearly to the frame's
/// resolution and joined with the frame's own L*; back to sRGB 8-bit, and for
/// a video encoder (`forVideo`) on to Y′CbCr 4:2:0 where the frame's size
/// allows (`PixelLayout.video`, `YCbCr420`).
///
/// Frames come out in order, each exactly once, through the `emit` closure;
/// with look-ahead and batching they come out up to `batch + 1` frames late.
/// A network output that is not finite is an error before its frames are
/// emitted (`LoadedModel.checkOutput`): it would be drawn as grey.
///
/// A chunk of a film (`ChunkedColorize`) is colourised with the cuts its
/// plan found (`init(model:batch:shotStarts:first:)`) instead: no detector, no
/// look-ahead, frames numbered from the chunk's first. A chunk starts at a cut
/// and ends before one, so its network calls and LSTM resets are those of a
/// single pass over the whole film.
public final class Colorizer {
    public let model: LoadedModel
    public let batch: Int
    /// The long side of the picture the network sees (a multiple of 128).
    public let renderSize: Int
    public let fit: RenderFit
    /// Frames are made for a video encoder: in `PixelLayout.video` of their size, not always rgb24.
    public let forVideo: Bool
    public var detector: SceneCutDetector { tracker.detector }
    public private(set) var framesIn = 0
    public private(set) var framesOut = 0
    /// Scene cuts found (or given) so far (LSTM resets).
    public var cuts: Int { cutFrames.count }
    /// The frames that start a new shot, in order (the first frame excluded).
    public private(set) var cutFrames: [Int] = []

    /// A colourised frame, valid only during the `emit` call.
    public struct Frame {
        public let index: Int
        public let width: Int
        public let height: Int
        /// The frame's bytes, laid out as `layout` says.
        public let pixels: UnsafePointer<UInt8>
        public let layout: PixelLayout
        /// The pixels of a frame made as rgb24 (a colorizer not made `forVideo`).
        public var rgb: UnsafePointer<UInt8> {
            precondition(layout == .rgb24, "a \(layout) frame is not rgb24")
            return pixels
        }
    }
    public typealias Emit = (Frame) throws -> Void

    private let stream: GeneratorStream
    private let size: Int
    private var pool: [FrameSlot] = []
    private var chunk: [FrameSlot] = []
    private var held: FrameSlot?
    /// The network input size of the last frame moved into a chunk.
    private var lastShape: (width: Int, height: Int)?
    private let scorer: CutScorer
    private var tracker: CutTracker
    /// The frames that start a shot, when a plan gives them (nil: detected here).
    private let shotStarts: Set<Int>?
    /// The index of the first frame pushed.
    private let first: Int
    private let preparer: FramePreparer
    private let input: Tensor
    private var upsampler: BilinearUpsampler?
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity = 0
    private var rowScratch: UnsafeMutablePointer<Float>
    private var rowScratchCapacity = 0
    /// Two rows of R, G, B code planes a thread, for Y′CbCr.
    private var codeScratch: UnsafeMutablePointer<UInt8>
    private var codeScratchCapacity = 0

    /// Finds the cuts itself (prep's detector, one frame of look-ahead).
    /// `renderSize` nil: the model's training size.
    public convenience init(model: LoadedModel, batch: Int = 8, renderSize: Int? = nil, fit: RenderFit = .pad,
                            detector: SceneCutDetector = SceneCutDetector(), forVideo: Bool = false) {
        self.init(model: model, batch: batch, renderSize: renderSize, fit: fit, detector: detector, shotStarts: nil, first: 0,
                  forVideo: forVideo)
    }

    /// Resets at the frames of `shotStarts` (film frame numbers); the first
    /// frame pushed is frame `first` of the film and starts a shot.
    public convenience init(model: LoadedModel, batch: Int, renderSize: Int? = nil, fit: RenderFit = .pad,
                            shotStarts: Set<Int>, first: Int, forVideo: Bool = false) {
        self.init(model: model, batch: batch, renderSize: renderSize, fit: fit, detector: SceneCutDetector(),
                  shotStarts: shotStarts, first: first, forVideo: forVideo)
    }

    private init(model: LoadedModel, batch: Int, renderSize: Int?, fit: RenderFit, detector: SceneCutDetector,
                 shotStarts: Set<Int>?, first: Int, forVideo: Bool) {
        precondition(batch >= 1)
        self.model = model
        self.batch = batch
        self.fit = fit
        self.forVideo = forVideo
        self.shotStarts = shotStarts
        self.first = first
        tracker = CutTracker(detector: detector)
        size = model.config.size
        self.renderSize = renderSize ?? size
        scorer = CutScorer(size: size)
        preparer = FramePreparer(modelSize: size, renderSize: self.renderSize, fit: fit)
        stream = GeneratorStream(model.generator)
        input = Tensor(Shape(batch, 1, self.renderSize, self.renderSize))
        output = .allocate(capacity: 1)
        rowScratch = .allocate(capacity: 1)
        codeScratch = .allocate(capacity: 1)
        chunk.reserveCapacity(batch)
        pool.reserveCapacity(batch + 2)
    }

    deinit {
        output.deallocate()
        rowScratch.deallocate()
        codeScratch.deallocate()
    }

    /// Feeds the next frame (rgb24, `width × height`).
    public func push(rgb: UnsafePointer<UInt8>, width: Int, height: Int, emit: Emit) throws {
        let slot = pool.popLast() ?? FrameSlot(modelSize: size, renderSize: renderSize)
        slot.index = first + framesIn
        framesIn += 1
        preparer.lightness(slot, rgb: rgb, width: width, height: height)
        if let shotStarts {
            held = slot
            try settleHeld(cutBefore: slot.index != first && shotStarts.contains(slot.index), emit: emit)
            return
        }
        preparer.detectorFrame(slot, rgb: rgb)
        if let cut = tracker.push(score: scorer.add(slot.codes)) { try settleHeld(cutBefore: cut, emit: emit) }
        held = slot
    }

    /// Colourises what is still waiting; call once after the last frame.
    public func finish(emit: Emit) throws {
        if let cut = tracker.finish() { try settleHeld(cutBefore: cut, emit: emit) }
        held = nil
        scorer.reset()
        try flush(emit: emit)
        stream.reset()
    }

    /// Moves the held frame into the chunk, first ending the shot (flush, LSTM
    /// reset) when the tracker found a cut before it.
    private func settleHeld(cutBefore: Bool, emit: Emit) throws {
        guard let frame = held else { return }
        // Another network input size is another picture: one call holds one size, and
        // the LSTM state of one layout of bottleneck positions means nothing in another.
        if let last = lastShape, let next = frame.geometry, (last.width, last.height) != (next.width, next.height) {
            try flush(emit: emit)
            stream.reset()
        }
        lastShape = frame.geometry.map { ($0.width, $0.height) }
        if cutBefore {
            cutFrames.append(frame.index)
            try flush(emit: emit)
            stream.reset()
        }
        chunk.append(frame)
        held = nil
        if chunk.count == batch { try flush(emit: emit) }
    }

    /// Runs the network on the chunk and emits its frames.
    private func flush(emit: Emit) throws {
        let n = chunk.count
        guard n > 0 else { return }
        let geometry = chunk[0].geometry!
        input.resize(Shape(n, 1, geometry.height, geometry.width))
        let plane = geometry.width * geometry.height
        for (i, slot) in chunk.enumerated() {
            let dst = input.data + i * plane
            for p in 0..<plane { dst[p] = LabCodec.network(lightness: slot.small[p]) }
        }
        let ab = stream.forward(L: input, frames: n)
        try model.checkOutput(ab, at: "frames \(chunk[0].index)–\(chunk[n - 1].index) of the input")
        for (i, slot) in chunk.enumerated() {
            let layout = compose(slot, ab: ab.data + i * 2 * plane)
            try emit(Frame(index: slot.index, width: slot.width, height: slot.height, pixels: output, layout: layout))
            framesOut += 1
        }
        pool.append(contentsOf: chunk)
        chunk.removeAll(keepingCapacity: true)
    }

    /// Upsampled a*b* + the frame's own L* → sRGB codes, into `output` as
    /// rgb24 or (`forVideo`) in the layout a video of the frame's size is fed.
    private func compose(_ slot: FrameSlot, ab: UnsafePointer<Float>) -> PixelLayout {
        let w = slot.width, h = slot.height
        let layout = forVideo ? PixelLayout.video(width: w, height: h) : .rgb24
        let bytes = layout.bytes(width: w, height: h)
        if bytes > outputCapacity {
            output.deallocate()
            outputCapacity = bytes
            output = .allocate(capacity: outputCapacity)
        }
        let geometry = slot.geometry!
        if upsampler?.outputWidth != w || upsampler?.outputHeight != h
            || upsampler?.inputWidth != geometry.contentWidth || upsampler?.inputHeight != geometry.contentHeight {
            upsampler = BilinearUpsampler(from: geometry.contentWidth, geometry.contentHeight, to: w, h)
        }
        // Y′CbCr 4:2:0 goes by pairs of rows (a chroma row is made of two).
        let units = layout == .yuv420p ? h / 2 : h
        let threads = ParallelChunks.chunks(units, grain: 1)
        if 5 * w * threads > rowScratchCapacity {
            rowScratch.deallocate()
            rowScratchCapacity = 5 * w * threads
            rowScratch = .allocate(capacity: rowScratchCapacity)
        }
        if layout == .yuv420p, 6 * w * threads > codeScratchCapacity {
            codeScratch.deallocate()
            codeScratchCapacity = 6 * w * threads
            codeScratch = .allocate(capacity: codeScratchCapacity)
        }
        let up = upsampler!, out = output, scratch = rowScratch, codes = codeScratch, plane = geometry.width * geometry.height
        let stride = geometry.width, picture = ab + geometry.contentY * stride + geometry.contentX
        let light = slot.lightness
        let chroma = Float(LabCodec.chromaRange)
        /// One output row's L*a*b* (a and b upsampled into the thread's scratch) through `convert`.
        func row(_ y: Int, scratch: UnsafeMutablePointer<Float>,
                 _ convert: (_ l: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                             _ linear: UnsafeMutablePointer<Float>) -> Void) {
            let a = scratch, b = a + w
            up.row(y, of: picture, stride: stride, scale: chroma, into: a)
            up.row(y, of: picture + plane, stride: stride, scale: chroma, into: b)
            convert(light + y * w, a, b, b + w)
        }
        switch layout {
        case .rgb24:
            ParallelChunks.runIndexed(h, grain: 1) { k, rows in
                for y in rows {
                    row(y, scratch: scratch + 5 * w * k) { l, a, b, linear in
                        LabToRGB8.convert(l: l, a: a, b: b, count: w, into: out + y * w * 3, scratch: linear)
                    }
                }
            }
        case .yuv420p:
            let cb = out + w * h, cr = cb + (w / 2) * (h / 2)
            ParallelChunks.runIndexed(units, grain: 1) { k, pairs in
                let top = codes + 6 * w * k, bottom = top + 3 * w
                for j in pairs {
                    for half in 0..<2 {
                        let y = 2 * j + half, planes = top + 3 * w * half
                        row(y, scratch: scratch + 5 * w * k) { l, a, b, linear in
                            LabToRGB8.convert(l: l, a: a, b: b, count: w, intoPlanes: planes, scratch: linear)
                        }
                        YCbCr420.luma(r: planes, g: planes + w, b: planes + 2 * w, count: w, into: out + y * w)
                    }
                    YCbCr420.chroma(top: top, bottom: bottom, count: w, cb: cb + j * (w / 2), cr: cr + j * (w / 2))
                }
            }
        }
        return layout
    }
}
