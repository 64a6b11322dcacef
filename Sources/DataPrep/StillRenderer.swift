import Foundation
import Imaging
import Media

/// One worker's way from a photo to the rgb24 frames of its camera paths:
/// decode in-process (`StillDecoder`; a large JPEG at 1/2, 1/4 or 1/8 scale,
/// when no decoded sample, chroma included, is then coarser than a frame
/// pixel of the smallest window any clip can have), reduce by the largest
/// whole factor that keeps the clips' smallest window at least `size` pixels
/// across, build the mipmap (`StillPyramid`), then sample each frame's window
/// from the level that fits it. EXIF orientation is folded into the sampling
/// map, so the picture is never turned in memory. Buffers are kept between photos.
final class StillRenderer {
    let size: Int
    private let decoder = StillDecoder()
    let pyramid = StillPyramid()
    private(set) var info: StillInfo?
    /// Stored pixels per reduced (level-0) pixel: the decoding scale times the reduction.
    private(set) var factor = 1

    /// A photo whose pixels differ in R, G and B by more than this (of 255)…
    static let neutralSpread: Float = 3
    /// …in at most this fraction of its pixels has no colour to learn from.
    static let neutralFraction = 0.001

    /// Whether a photo is decoded as small as its clips allow (prep), or at
    /// full size (to compare against: StillsSpeedTests).
    let decodesReduced: Bool

    init(size: Int, decodesReduced: Bool = true) {
        self.size = size
        self.decodesReduced = decodesReduced
    }

    /// Decodes `path` (throws `MediaError`).
    func decode(_ path: String) throws -> StillInfo {
        let size = self.size
        let decoded = decodesReduced
            ? try decoder.decode(path, reducedUpTo: { Self.coarsestSample(width: $0, height: $1, size: size) })
            : try decoder.decode(path)
        info = decoded
        return decoded
    }

    /// The most stored pixels one decoded sample of a `width × height` photo
    /// may span: a frame pixel of the smallest window any of its clips can
    /// have (known before the clips are drawn) spans at least this many.
    static func coarsestSample(width: Int, height: Int, size: Int) -> Int {
        max(1, Int(CameraPath.sides(shorter: min(width, height), size: size).lowerBound / Double(size)))
    }

    /// Decoded pixels per reduced (level-0) pixel: at most what keeps the
    /// smallest window `size` pixels across, of which decoding took `scale`
    /// (never more: see `coarsestSample`); and enough that level 0 fits the
    /// pyramid (a side of millions of pixels, which libavcodec refuses anyway).
    static func reduction(_ info: StillInfo, smallestSide: Double, size: Int) -> Int {
        let most = max(1, Int(smallestSide / Double(size)))
        let widest = max(info.decodedWidth, info.decodedHeight)
        return max(most / info.scale, 1, (widest + StillPyramid.maximumSide - 1) / StillPyramid.maximumSide)
    }

    /// Reduces the decoded photo and builds the levels that windows of sides
    /// `sides` (display pixels) need.
    func prepare(sides: ClosedRange<Double>) {
        guard let info else { return }
        let reduction = Self.reduction(info, smallestSide: sides.lowerBound, size: size)
        factor = reduction * info.scale
        let (w, h) = StillDecoder.reducedSize(info, factor: reduction)
        // Level l serves windows whose samples are 2^l…2^(l+1) reduced pixels apart.
        let spacing = sides.upperBound / Double(size * factor)
        let count = 1 + max(0, Int(log2(max(spacing, 1))))
        decoder.reduce(by: reduction, into: pyramid.prepare(width: w, height: h, count: count))
        pyramid.build()
    }

    /// A grey pixel format, or colour too faint to learn from (see the constants).
    func isGreyscale() -> Bool {
        guard let info else { return true }
        return info.isGreyFormat || pyramid.isNeutral(spread: Self.neutralSpread, fraction: Self.neutralFraction)
    }

    /// Renders `window` (display pixels) as a `size²` rgb24 frame.
    func render(_ window: CameraPath.Window, into rgb: UnsafeMutablePointer<UInt8>) {
        guard let info else { return }
        let step = window.side / Double(size)
        let (c, s) = (cos(window.angle), sin(window.angle))
        // Display geometry: output pixel (i, j) samples origin + (i+½)·column + (j+½)·row.
        let column = (x: step * c, y: step * s), row = (x: -step * s, y: step * c)
        let origin = (x: window.x - window.side / 2 * (c - s), y: window.y - window.side / 2 * (s + c))
        // Display → stored (EXIF orientation), then stored → reduced pixels.
        let o = Self.orientationMap(info)
        func point(_ p: (x: Double, y: Double)) -> (x: Double, y: Double) {
            ((o.a * p.x + o.b * p.y + o.tx) / Double(factor), (o.c * p.x + o.d * p.y + o.ty) / Double(factor))
        }
        func vector(_ v: (x: Double, y: Double)) -> (x: Double, y: Double) {
            ((o.a * v.x + o.b * v.y) / Double(factor), (o.c * v.x + o.d * v.y) / Double(factor))
        }
        let spacing = step / Double(factor)
        let level = spacing >= 2 ? Int(log2(spacing)) : 0
        pyramid.render(level: level, origin: point(origin), column: vector(column), row: vector(row), size: size, into: rgb)
    }

    /// Stored position = (a·X + b·Y + tx, c·X + d·Y + ty) of display position
    /// (X, Y), for EXIF orientations 1–8 (e.g. 6, "turn 90° clockwise to
    /// show": the stored picture's first column is the displayed top row).
    static func orientationMap(_ info: StillInfo) -> (a: Double, b: Double, c: Double, d: Double, tx: Double, ty: Double) {
        let w = Double(info.width), h = Double(info.height)
        switch info.orientation {
        case 2: return (-1, 0, 0, 1, w, 0)
        case 3: return (-1, 0, 0, -1, w, h)
        case 4: return (1, 0, 0, -1, 0, h)
        case 5: return (0, 1, 1, 0, 0, 0)
        case 6: return (0, 1, -1, 0, 0, h)
        case 7: return (0, -1, -1, 0, w, h)
        case 8: return (0, -1, 1, 0, w, 0)
        default: return (1, 0, 0, 1, 0, 0)
        }
    }
}
