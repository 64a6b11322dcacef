import Net

/// Training-time augmentation of a clip batch (`vcolor train --augment`,
/// docs/model.md §Training recipe), applied by the loader's worker thread after
/// conversion, so it costs the step nothing while reading keeps ahead.
///
/// Each clip gets one draw, the same for all its frames (a clip must stay a
/// coherent shot for the LSTM):
/// - a crop of `cropScale`…1 of the side at a random place, resized back to the
///   full side (bilinear, half-pixel centres as PyTorch's `align_corners=False`),
///   the same for L and a*b*;
/// - a horizontal flip with probability ½, L and a*b* together;
/// - a contrast factor in 1 ± `contrast` about mid-grey and a brightness offset
///   in ± `brightness` (network units, L/50 − 1) on L only, clamped to [−1, 1]:
///   old film's exposure varies, its colours do not follow it.
///
/// The draw is a function of the seed, the batch's place in the epoch and the
/// clip's place in the batch, so a resumed run sees exactly the augmentation an
/// uninterrupted one would, with no state in the checkpoint.
public struct Augmentation: Sendable, Equatable {
    public var cropScale: Float = 0.8
    public var contrast: Float = 0.2
    public var brightness: Float = 0.1

    public init() {}

    /// One clip's draw.
    struct Draw: Equatable {
        var cropSide: Int
        var cropX: Int
        var cropY: Int
        var flip: Bool
        var contrast: Float
        var brightness: Float
    }

    /// The draw of clip `index` of the batch whose key is `key` (`key(seed:…)`).
    func draw(key: UInt64, index: Int, size: Int) -> Draw {
        var rng = RandomGenerator(seed: Self.mix(Self.mix(Self.start, key), UInt64(index)))
        let scale = cropScale + (1 - cropScale) * rng.nextUniform()
        let side = min(size, max(1, Int((scale * Float(size)).rounded())))
        let x = Int(rng.nextUniform() * Float(size - side + 1)) % (size - side + 1)
        let y = Int(rng.nextUniform() * Float(size - side + 1)) % (size - side + 1)
        let flip = rng.nextUniform() < 0.5
        let c = 1 + contrast * (2 * rng.nextUniform() - 1)
        let b = brightness * (2 * rng.nextUniform() - 1)
        return Draw(cropSide: side, cropX: x, cropY: y, flip: flip, contrast: c, brightness: b)
    }

    /// The key of one rank's batch: the run's seed, the batch's place in its
    /// epoch and the rank (which clips a rank reads already depends on it).
    public static func key(seed: UInt64, epoch: Int, stepInEpoch: Int, rank: Int) -> UInt64 {
        var h = mix(start, seed)
        h = mix(h, UInt64(truncatingIfNeeded: epoch))
        h = mix(h, UInt64(truncatingIfNeeded: stepInEpoch))
        return mix(h, UInt64(truncatingIfNeeded: rank))
    }

    /// Where a fold of `mix` starts.
    static let start: UInt64 = 0x6A09_E667_F3BC_C908

    /// One step of SplitMix64's finaliser folded over parts (no array, so no
    /// allocation on the loader's thread): distinct parts give unrelated seeds.
    static func mix(_ h: UInt64, _ part: UInt64) -> UInt64 {
        var x = (h ^ part) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    /// Augments clip `index` (`frames` frames at `L`, `ab`; planes of `size`²)
    /// in place; `scratch` holds at least `size`² floats.
    func apply(_ d: Draw, L: UnsafeMutablePointer<Float>, ab: UnsafeMutablePointer<Float>, frames: Int, size: Int,
               scratch: UnsafeMutablePointer<Float>) {
        let pixels = size * size
        for f in 0..<frames {
            for k in 0..<3 {
                let plane = k == 0 ? L + f * pixels : ab + (f * 2 + k - 1) * pixels
                if d.cropSide < size {
                    Self.resizeCrop(plane, size: size, side: d.cropSide, x0: d.cropX, y0: d.cropY, into: scratch)
                    plane.update(from: scratch, count: pixels)
                }
                if d.flip { Self.flipRows(plane, size: size) }
            }
            let l = L + f * pixels, c = d.contrast, b = d.brightness
            for i in 0..<pixels { l[i] = min(1, max(-1, c * l[i] + b)) }
        }
    }

    /// The `side`² square at (`x0`, `y0`) of a `size`² plane, resized to `size`²
    /// bilinearly with half-pixel centres (PyTorch's `align_corners=False`).
    static func resizeCrop(_ plane: UnsafePointer<Float>, size: Int, side: Int, x0: Int, y0: Int,
                           into out: UnsafeMutablePointer<Float>) {
        let ratio = Float(side) / Float(size)
        func tap(_ o: Int) -> (Int, Int, Float) {
            let s = max(0, (Float(o) + 0.5) * ratio - 0.5)
            let i0 = min(Int(s), side - 1)
            let i1 = min(i0 + 1, side - 1)
            return (i0, i1, s - Float(i0))
        }
        for oy in 0..<size {
            let (y0i, y1i, wy) = tap(oy)
            let row0 = plane + (y0 + y0i) * size + x0, row1 = plane + (y0 + y1i) * size + x0
            for ox in 0..<size {
                let (x0i, x1i, wx) = tap(ox)
                let top = row0[x0i] + wx * (row0[x1i] - row0[x0i])
                let bottom = row1[x0i] + wx * (row1[x1i] - row1[x0i])
                out[oy * size + ox] = top + wy * (bottom - top)
            }
        }
    }

    static func flipRows(_ plane: UnsafeMutablePointer<Float>, size: Int) {
        for y in 0..<size {
            let row = plane + y * size
            var i = 0, j = size - 1
            while i < j {
                let t = row[i]; row[i] = row[j]; row[j] = t
                i += 1; j -= 1
            }
        }
    }
}
