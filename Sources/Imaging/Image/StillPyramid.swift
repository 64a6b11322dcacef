/// A photo as float RGB pixels and its 2× box-averaged reductions (a
/// mipmap), from which square frames are sampled along any affine map:
/// bilinear at the level whose pixels are at most twice as fine as the
/// frame's, so a frame never skips more than every other pixel of what it
/// samples (no aliasing from a large photo), and never needs more.
///
/// A pixel is four floats, R, G, B (0…255) and one unused, so a bilinear
/// tap is one SIMD load. One pyramid per thread: its storage is kept and
/// grown between photos, so rendering frames allocates nothing.
public final class StillPyramid {
    /// The most pixels a side of level 0 may have (`prepare` checks): `render`
    /// takes the integer part of its float positions by a rounding trick that
    /// holds below 2²².
    public static let maximumSide = 1 << 22

    public struct Level: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// Offset of the level's first pixel in the storage.
        var offset: Int
    }

    public private(set) var levels: [Level] = []
    private var storage = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: 1)
    private var capacity = 1
    /// One output row's taps for `render`: offsets of the top-left tap, steps
    /// to the right and lower taps, and the two weights.
    private var taps = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var weights = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var tapCapacity = 0

    public init() {}

    deinit {
        storage.deallocate()
        taps.deallocate()
        weights.deallocate()
    }

    /// Makes room for a level 0 of `width × height` and `count` levels in all
    /// (fewer when a level would be under 1 pixel), and returns level 0's
    /// first float (four a pixel, row by row) for the caller to fill before `build()`.
    public func prepare(width: Int, height: Int, count: Int) -> UnsafeMutablePointer<Float> {
        precondition(width > 0 && height > 0 && count > 0)
        // `render`'s positions and 32-bit pixel offsets.
        precondition(width <= Self.maximumSide && height <= Self.maximumSide && width * height <= Int(Int32.max))
        levels.removeAll(keepingCapacity: true)
        var (w, h, offset) = (width, height, 0)
        while levels.count < count && w >= 1 && h >= 1 {
            levels.append(Level(width: w, height: h, offset: offset))
            offset += w * h
            (w, h) = (w / 2, h / 2)
        }
        if offset > capacity {
            storage.deallocate()
            capacity = offset
            storage = .allocate(capacity: capacity)
        }
        return UnsafeMutableRawPointer(storage).assumingMemoryBound(to: Float.self)
    }

    /// Level `i + 1` pixel (x, y) = mean of level `i` pixels (2x…2x+1, 2y…2y+1);
    /// a last odd row or column is left out, so level-i position p is p / 2 in
    /// level i + 1.
    public func build() {
        for i in levels.indices.dropFirst() {
            let from = levels[i - 1], to = levels[i]
            let src = storage + from.offset, dst = storage + to.offset
            for y in 0..<to.height {
                let a = src + 2 * y * from.width, b = a + from.width, out = dst + y * to.width
                for x in 0..<to.width {
                    out[x] = 0.25 * (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1])
                }
            }
        }
    }

    /// Whether level 0 has (almost) no colour: at most `fraction` of its pixels
    /// have R, G and B more than `spread` apart. A neutral sRGB colour (R = G
    /// = B) is exactly a* = b* = 0 in CIELAB, so this asks for a* ≈ b* ≈ 0
    /// everywhere, allowing for compression noise.
    public func isNeutral(spread: Float, fraction: Double) -> Bool {
        guard let level = levels.first else { return true }
        let n = level.width * level.height
        let floats = UnsafeRawPointer(storage + level.offset).assumingMemoryBound(to: Float.self)
        // Selects and a count, no branch: the compiler vectorises it across pixels.
        var coloured = 0
        for i in 0..<n {
            let r = floats[4 &* i], g = floats[4 &* i &+ 1], b = floats[4 &* i &+ 2]
            let high = r > g ? (r > b ? r : b) : (g > b ? g : b)
            let low = r < g ? (r < b ? r : b) : (g < b ? g : b)
            coloured &+= high - low > spread ? 1 : 0
        }
        return Double(coloured) <= fraction * Double(n)
    }

    /// Renders a `size × size` rgb24 frame into `rgb`: output pixel (i, j) is
    /// the bilinear sample, with edges extended, of level `level` at position
    /// `origin + (i + ½)·column + (j + ½)·row` in level-0 pixel units (pixel k
    /// covers [k, k + 1)).
    ///
    /// Row by row in two passes: first every pixel's taps and weights
    /// (arithmetic over contiguous arrays, which the compiler vectorises; the
    /// integer part by the rounding trick, since a checked conversion would
    /// stop that), then the taps themselves, one SIMD load each, and one
    /// 4-byte store a pixel (whose fourth byte the next pixel overwrites).
    /// Levels hold 0…255, so a bilinear mix does too, and needs no clipping.
    public func render(level: Int, origin: (x: Double, y: Double), column: (x: Double, y: Double), row: (x: Double, y: Double),
                       size: Int, into rgb: UnsafeMutablePointer<UInt8>) {
        let index = min(max(level, 0), levels.count - 1)
        let l = levels[index]
        let scale = 1 / Double(1 << index)
        let pixels = UnsafePointer(storage + l.offset)
        // Level-l sample coordinates: p·scale − ½ (pixel centres at k + ½).
        let cx = Float(column.x * scale), cy = Float(column.y * scale)
        let rx = Float(row.x * scale), ry = Float(row.y * scale)
        let ox = Float((origin.x + 0.5 * (column.x + row.x)) * scale - 0.5)
        let oy = Float((origin.y + 0.5 * (column.y + row.y)) * scale - 0.5)
        let maxX = Float(l.width - 1), maxY = Float(l.height - 1)
        let lastX = Int32(l.width - 1), lastY = Int32(l.height - 1), width = Int32(l.width)
        if tapCapacity < size {
            taps.deallocate()
            weights.deallocate()
            taps = .allocate(capacity: 3 * size)
            weights = .allocate(capacity: 2 * size)
            tapCapacity = size
        }
        let offsets = taps, rights = taps + size, downs = taps + 2 * size
        let fxs = weights, fys = weights + size
        // Adding 1.5·2²³ rounds a float to the nearest integer in the low
        // mantissa bits (see Lab8Converter.code): of v − ½, the integer part
        // of v ≥ 0, or at a whole v possibly v − 1 with weight 1, the same sample.
        let magic: Float = 12_582_912
        let rounding = SIMD4<Float>(repeating: magic)
        let out = UnsafeMutableRawPointer(rgb)
        for j in 0..<size {
            let sx = ox + Float(j) * rx, sy = oy + Float(j) * ry
            for i in 0..<size {
                let x = min(max(sx + Float(i) * cx, 0), maxX), y = min(max(sy + Float(i) * cy, 0), maxY)
                let x0 = Int32(bitPattern: (x - 0.5 + magic).bitPattern) & 0x3F_FFFF
                let y0 = Int32(bitPattern: (y - 0.5 + magic).bitPattern) & 0x3F_FFFF
                fxs[i] = x - Float(x0)
                fys[i] = y - Float(y0)
                offsets[i] = y0 &* width &+ x0
                rights[i] = x0 < lastX ? 1 : 0
                downs[i] = y0 < lastY ? width : 0
            }
            let rowStart = 3 * j * size
            // The frame's very last pixel is stored byte by byte: nothing follows it.
            let whole = j == size - 1 ? size - 1 : size
            func sample(_ i: Int) -> SIMD4<UInt32> {
                let p = pixels + Int(offsets[i])
                let dx = Int(rights[i]), dy = Int(downs[i])
                let fx = SIMD4<Float>(repeating: fxs[i]), fy = SIMD4<Float>(repeating: fys[i])
                let top = p[0] + (p[dx] - p[0]) * fx
                let bottom = p[dy] + (p[dy + dx] - p[dy]) * fx
                return unsafeBitCast(top + (bottom - top) * fy + rounding, to: SIMD4<UInt32>.self)
            }
            for i in 0..<whole {
                let bytes = SIMD4<UInt8>(truncatingIfNeeded: sample(i))
                out.storeBytes(of: unsafeBitCast(bytes, to: UInt32.self), toByteOffset: rowStart + 3 * i, as: UInt32.self)
            }
            if whole < size {
                let v = sample(whole), last = rgb + rowStart + 3 * whole
                (last[0], last[1], last[2]) = (UInt8(truncatingIfNeeded: v.x), UInt8(truncatingIfNeeded: v.y), UInt8(truncatingIfNeeded: v.z))
            }
        }
    }
}
