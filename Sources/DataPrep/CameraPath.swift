import Foundation

/// The synthetic camera move that turns a photo into one short clip
/// (docs/dataprep.md §Stills): a square window that pans, zooms and rolls
/// slightly across the photo, from a start to an end placement along an
/// easing curve. All in display pixels (after EXIF orientation), x right,
/// y down, angles in radians (positive turns the window clockwise on screen).
///
/// Drawn from `SeededRandom` seeded by the prep seed, the photo's key (its
/// path below its `--stills` folder) and the clip number, so the same photo
/// makes the same clips on every run and machine.
struct CameraPath: Equatable {
    /// One frame's window: centre, side and roll.
    struct Window: Equatable {
        var x: Double
        var y: Double
        var side: Double
        var angle: Double
    }

    /// How the move is spread over the frames: steady, or starting or stopping
    /// gently, or both; with the move's length, this varies the speed.
    enum Easing: Int, CaseIterable {
        case linear, smooth, accelerate, decelerate

        func callAsFunction(_ t: Double) -> Double {
            switch self {
            case .linear: t
            case .smooth: t * t * (3 - 2 * t)
            case .accelerate: t * t
            case .decelerate: 1 - (1 - t) * (1 - t)
            }
        }
    }

    var start: Window
    var end: Window
    var easing: Easing

    /// Smallest window, as a fraction of the photo's shorter side (a detail
    /// of a large photo; never below the frame size while the photo allows).
    static let smallestSide = 0.35
    /// Largest window: room left for the pan and the roll.
    static let largestSide = 0.9
    /// Zoom over a clip: the end window's side is e^±0.3 (0.74–1.35×) the start's.
    static let zoomRange = 0.3
    /// Roll at the start, and its change over the clip, in degrees.
    static let rollDegrees = 3.0
    static let rollChangeDegrees = 2.0
    /// Pan over a clip: up to this many window sides.
    static let panRange = 0.6

    /// The sides every window of a photo whose shorter side is `shorter` lies
    /// between (each clip draws its own within them).
    static func sides(shorter: Int, size: Int) -> ClosedRange<Double> {
        let largest = largestSide * Double(shorter)
        return min(largest, max(smallestSide * Double(shorter), Double(size)))...largest
    }

    /// Clip `clip` of a `width × height` photo (display size) for `size²` frames.
    static func make(width: Int, height: Int, size: Int, seed: UInt64, key: String, clip: Int) -> CameraPath {
        var random = SeededRandom(seed: seed, key: key, stream: UInt64(clip))
        let w = Double(width), h = Double(height)
        let sides = sides(shorter: min(width, height), size: size)
        let (smallest, largest) = (sides.lowerBound, sides.upperBound)
        let side0 = random.uniform(smallest, largest)
        let side1 = min(max(side0 * exp(random.uniform(-zoomRange, zoomRange)), smallest), largest)
        let degree = Double.pi / 180
        let angle0 = random.uniform(-rollDegrees, rollDegrees) * degree
        let angle1 = angle0 + random.uniform(-rollChangeDegrees, rollChangeDegrees) * degree
        // A window of side s turned by at most θ spans s·(cos θ + sin θ) on
        // each axis; with that one factor for the whole clip, both ends inside
        // means every frame between them is inside (the bounds are linear in
        // the centre and the side, which move linearly).
        let turned = max(abs(angle0), abs(angle1))
        let span = cos(turned) + sin(turned)
        func centre(_ side: Double, _ extent: Double) -> ClosedRange<Double> {
            let half = min(span * side / 2, extent / 2)
            return half...(extent - half)
        }
        let x0 = random.uniform(centre(side0, w)), y0 = random.uniform(centre(side0, h))
        let direction = random.uniform(0, 2 * Double.pi)
        let distance = random.uniform(0, panRange) * max(side0, side1)
        let xs = centre(side1, w), ys = centre(side1, h)
        let x1 = min(max(x0 + distance * cos(direction), xs.lowerBound), xs.upperBound)
        let y1 = min(max(y0 + distance * sin(direction), ys.lowerBound), ys.upperBound)
        let easing = Easing(rawValue: Int(random.next() % UInt64(Easing.allCases.count)))!
        return CameraPath(start: Window(x: x0, y: y0, side: side0, angle: angle0),
                          end: Window(x: x1, y: y1, side: side1, angle: angle1), easing: easing)
    }

    /// Frame `index` of `count`: the first is `start`, the last `end`.
    func window(_ index: Int, of count: Int) -> Window {
        let t = easing(count > 1 ? Double(index) / Double(count - 1) : 0)
        func mix(_ a: Double, _ b: Double) -> Double { a + (b - a) * t }
        return Window(x: mix(start.x, end.x), y: mix(start.y, end.y), side: mix(start.side, end.side),
                      angle: mix(start.angle, end.angle))
    }
}

/// SplitMix64 (as `Split` uses), seeded from a seed, a string key (FNV-1a)
/// and a stream number; integer arithmetic only, so the same on every machine.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64, key: String, stream: UInt64) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        state = Self.mix(Self.mix(seed) ^ hash) ^ Self.mix(stream &+ 0x5354_494C_4C53)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [a, b): 53 random bits.
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * (Double(next() >> 11) / 9_007_199_254_740_992)
    }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double { uniform(range.lowerBound, range.upperBound) }
}
