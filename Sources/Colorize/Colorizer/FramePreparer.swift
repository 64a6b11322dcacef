import Imaging
import Media
import Net

/// What every frame goes through before the network and the cut detector:
/// L* at full resolution, L* area-resized to the model's size, and (for the
/// detector) the model-size lab8 frame. One home for both users, colorize's
/// `Colorizer` and the chunk plan's `ShotScan`, so the cuts the plan is made
/// of are exactly the cuts a single pass would find.
final class FramePreparer {
    let size: Int
    private var resizer: AreaResizer?
    private let labConverter = Lab8Converter()
    private let sampled: UnsafeMutablePointer<UInt8>

    init(modelSize: Int) {
        size = modelSize
        sampled = .allocate(capacity: 3 * modelSize * modelSize)
    }

    deinit { sampled.deallocate() }

    /// L* at full and model size into `slot`.
    func lightness(_ slot: FrameSlot, rgb: UnsafePointer<UInt8>, width: Int, height: Int) {
        slot.reserve(width: width, height: height)
        ParallelChunks.run(height, grain: 16) { rows in
            LightnessPlane.compute(rgb: rgb + rows.lowerBound * width * 3, pixels: rows.count * width,
                                   into: slot.lightness + rows.lowerBound * width)
        }
        if resizer?.inputWidth != width || resizer?.inputHeight != height {
            resizer = AreaResizer(from: width, height, to: size, size)
        }
        resizer!.resize(slot.lightness, into: slot.small)
    }

    /// The model-size lab8 frame the cut detector scores, into `slot.codes`
    /// (after `lightness`): a*b* from the pixels nearest each model-size
    /// pixel's centre (its scores need no averaging), L* from the resized L.
    func detectorFrame(_ slot: FrameSlot, rgb: UnsafePointer<UInt8>) {
        let width = slot.width, height = slot.height
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
            slot.codes[p] = UInt8(min(max(slot.small[p] * 2.55, 0), 255) + 0.5)
        }
    }
}
