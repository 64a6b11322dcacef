import Net

/// How colorize maps a frame of any shape to the picture the network sees
/// (`--render-fit`), and where the frame sits in it.
public enum RenderFit: String, CaseIterable, Sendable {
    /// The whole frame resized into an `N × N` square, whatever its shape:
    /// a 16:9 frame is squeezed 1.78 times across.
    case squeeze
    /// The frame resized with its aspect kept so its long side is `N`, in a
    /// rectangle whose sides are the next multiples the U-Net allows (128);
    /// the margin repeats the frame's edge pixels. A 16:9 frame at 128 is
    /// 128 × 72 of picture in 128 × 128; at 512, 512 × 288 in 512 × 384.
    case pad
}

/// The network's input rectangle for frames of one size, and the frame's
/// place in it (`content`). The a*b* the network gives back is read from the
/// content rectangle only, so a margin never colours the frame.
public struct RenderGeometry: Equatable, Sendable {
    public let frameWidth: Int, frameHeight: Int
    /// The network's input (and output) size: multiples of `unit`.
    public let width: Int, height: Int
    /// Where the frame, resized, lies in the network's input.
    public let contentX: Int, contentY: Int, contentWidth: Int, contentHeight: Int

    /// The side a U-Net input must be a multiple of: 2^levels.
    public static let unit = 1 << ModelConfig.levels

    public init(frameWidth: Int, frameHeight: Int, renderSize: Int, fit: RenderFit) {
        precondition(frameWidth > 0 && frameHeight > 0 && renderSize >= Self.unit && renderSize % Self.unit == 0)
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        switch fit {
        case .squeeze:
            (width, height) = (renderSize, renderSize)
            (contentX, contentY, contentWidth, contentHeight) = (0, 0, renderSize, renderSize)
        case .pad:
            let long = max(frameWidth, frameHeight)
            // At least one pixel of picture on the short side, however thin the frame.
            let cw = max(1, (frameWidth * renderSize + long / 2) / long)
            let ch = max(1, (frameHeight * renderSize + long / 2) / long)
            let up = { (side: Int) in (side + Self.unit - 1) / Self.unit * Self.unit }
            (width, height) = (up(cw), up(ch))
            (contentWidth, contentHeight) = (cw, ch)
            (contentX, contentY) = ((width - cw) / 2, (height - ch) / 2)
        }
    }

    /// Whether the content fills the whole network input.
    public var isFull: Bool { contentWidth == width && contentHeight == height }

    /// Copies `content` (`contentHeight × contentWidth`) into `plane`
    /// (`height × width`) at the content's place, and fills the margin with
    /// the nearest content pixel: an edge repeated, not a black bar the
    /// network never saw in training and would find an edge at.
    public func place(_ content: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
        let cw = contentWidth, cx = contentX
        for y in 0..<height {
            let source = content + min(max(y - contentY, 0), contentHeight - 1) * cw
            let row = plane + y * width
            let left = source[0], right = source[cw - 1]
            for x in 0..<cx { row[x] = left }
            (row + cx).update(from: source, count: cw)
            for x in (cx + cw)..<width { row[x] = right }
        }
    }
}
