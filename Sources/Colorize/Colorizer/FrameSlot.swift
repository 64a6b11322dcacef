/// One input frame waiting for the network: its full-resolution L (which the
/// output keeps), its L as the network sees it (`geometry`), and the
/// model-size L*a*b* frame the scene-cut detector scores. Slots are recycled,
/// so a long film allocates only when the frame size grows.
final class FrameSlot {
    var index = 0
    var width = 0, height = 0
    var lightness: UnsafeMutablePointer<Float>
    private var capacity: Int
    /// Where the frame lies in the network's input.
    var geometry: RenderGeometry?
    /// L* as the network sees it, `geometry.height × geometry.width` (at most renderSize²).
    let small: UnsafeMutablePointer<Float>
    /// Planar lab8 at the model's size (for the cut detector only).
    let codes: UnsafeMutablePointer<UInt8>

    init(modelSize: Int, renderSize: Int) {
        capacity = 1
        lightness = .allocate(capacity: 1)
        small = .allocate(capacity: renderSize * renderSize)
        codes = .allocate(capacity: 3 * modelSize * modelSize)
    }

    deinit {
        lightness.deallocate()
        small.deallocate()
        codes.deallocate()
    }

    func reserve(width: Int, height: Int) {
        self.width = width
        self.height = height
        if width * height > capacity {
            lightness.deallocate()
            capacity = width * height
            lightness = .allocate(capacity: capacity)
        }
    }
}
