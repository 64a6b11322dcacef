import Imaging
import Media
import Net

/// What every frame goes through before the network and the cut detector:
/// L* at full resolution, L* area-resized into the picture the network sees
/// (`RenderGeometry`), and (for the detector) the model-size lab8 frame. One
/// home for both users, colorize's `Colorizer` and the chunk plan's
/// `ShotScan`, so the cuts the plan is made of are exactly the cuts a single
/// pass would find: the detector always scores the model's square, whatever
/// the network sees, as prep's does.
final class FramePreparer {
    let size: Int
    let renderSize: Int
    let fit: RenderFit
    /// Full-resolution L* to the frame's part of the network's picture.
    private var resizer: AreaResizer?
    /// Full-resolution L* to the model's square for the cut detector, when the
    /// network's picture is not that square already.
    private var cutResizer: AreaResizer?
    private let cutLightness: UnsafeMutablePointer<Float>
    /// The frame's L* at its size in the network's picture, before `place` adds the margin.
    private let content: UnsafeMutablePointer<Float>
    private let labConverter = Lab8Converter()
    private let sampled: UnsafeMutablePointer<UInt8>

    /// `renderSize` nil: the model's size, squeezed (the detector's own square:
    /// what `ShotScan` asks for, which needs no network picture of its own).
    init(modelSize: Int, renderSize: Int? = nil, fit: RenderFit = .squeeze) {
        size = modelSize
        self.renderSize = renderSize ?? modelSize
        self.fit = fit
        sampled = .allocate(capacity: 3 * modelSize * modelSize)
        cutLightness = .allocate(capacity: modelSize * modelSize)
        content = .allocate(capacity: self.renderSize * self.renderSize)
    }

    deinit {
        sampled.deallocate()
        cutLightness.deallocate()
        content.deallocate()
    }

    /// L* at full size and as the network sees it, into `slot`.
    func lightness(_ slot: FrameSlot, rgb: UnsafePointer<UInt8>, width: Int, height: Int) {
        slot.reserve(width: width, height: height)
        ParallelChunks.run(height, grain: 16) { rows in
            LightnessPlane.compute(rgb: rgb + rows.lowerBound * width * 3, pixels: rows.count * width,
                                   into: slot.lightness + rows.lowerBound * width)
        }
        // A slot serves one preparer, so only the frame's size can change its geometry.
        if slot.geometry?.frameWidth != width || slot.geometry?.frameHeight != height {
            slot.geometry = RenderGeometry(frameWidth: width, frameHeight: height, renderSize: renderSize, fit: fit)
        }
        let geometry = slot.geometry!
        if resizer?.inputWidth != width || resizer?.inputHeight != height
            || resizer?.outputWidth != geometry.contentWidth || resizer?.outputHeight != geometry.contentHeight {
            resizer = AreaResizer(from: width, height, to: geometry.contentWidth, geometry.contentHeight)
        }
        if geometry.isFull {
            resizer!.resize(slot.lightness, into: slot.small)
        } else {
            resizer!.resize(slot.lightness, into: content)
            geometry.place(content, into: slot.small)
        }
    }

    /// The model-size lab8 frame the cut detector scores, into `slot.codes`
    /// (after `lightness`): a*b* from the pixels nearest each model-size
    /// pixel's centre (its scores need no averaging), L* area-resized from
    /// the full-resolution L* (the network's picture when that is the model's square).
    func detectorFrame(_ slot: FrameSlot, rgb: UnsafePointer<UInt8>) {
        let width = slot.width, height = slot.height
        let geometry = slot.geometry!
        var cutL = UnsafePointer(slot.small)
        if !(geometry.isFull && geometry.width == size && geometry.height == size) {
            if cutResizer?.inputWidth != width || cutResizer?.inputHeight != height {
                cutResizer = AreaResizer(from: width, height, to: size, size)
            }
            cutResizer!.resize(slot.lightness, into: cutLightness)
            cutL = UnsafePointer(cutLightness)
        }
        let plane = size * size
        for y in 0..<size {
            let row = rgb + ((2 * y + 1) * height / (2 * size)) * width * 3
            for x in 0..<size {
                let source = row + ((2 * x + 1) * width / (2 * size)) * 3, target = sampled + 3 * (y * size + x)
                target[0] = source[0]; target[1] = source[1]; target[2] = source[2]
            }
        }
        labConverter.convert(rgb: sampled, pixels: plane, lab: slot.codes)
        for p in 0..<plane {
            slot.codes[p] = UInt8(min(max(cutL[p] * 2.55, 0), 255) + 0.5)
        }
    }
}
