/// The geometry of one 2-D convolution seen from its (larger) input side:
/// `channels` planes of `height × width`, a square `kernel`, `stride` and
/// zero `padding`, giving `outHeight × outWidth` output positions.
///
/// Conv2d uses it for its input; ConvTranspose2d, the adjoint, uses it for
/// its *output* (the transposed convolution's output is the convolution's input).
struct ConvGeometry: Equatable {
    var channels: Int
    var height: Int
    var width: Int
    var kernel: Int
    var stride: Int
    var padding: Int

    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the column matrix: one per (channel, ky, kx).
    var rows: Int { channels * kernel * kernel }
    /// Output positions of one image.
    var positions: Int { outHeight * outWidth }

    /// The output columns `ox` whose input column `ox*stride − padding + kx`
    /// lies inside the image: `lo..<hi` (empty when none do).
    @inline(__always)
    func validColumns(kx: Int) -> (lo: Int, hi: Int) {
        let shift = padding - kx  // ix = ox*stride - shift
        let lo = shift > 0 ? (shift + stride - 1) / stride : 0
        let last = width - 1 + shift  // ix <= width-1  <=>  ox*stride <= last
        let hi = last < 0 ? 0 : min(outWidth, last / stride + 1)
        return (min(lo, hi), hi)
    }

    /// Calls `body` for every kernel tap `(ky, kx)` in row order: the walk
    /// that im2col, col2im and `ShiftedSum` all make over one plane.
    @inline(__always)
    func forEachTap(_ body: (KernelTap) -> Void) {
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                let (lo, hi) = validColumns(kx: kx)
                body(KernelTap(index: ky * kernel + kx, ky: ky, xOffset: kx - padding, lo: lo, hi: hi))
            }
        }
    }

    /// The input row that output row `oy` reads under kernel row `ky`; nil
    /// when that row is in the zero padding.
    @inline(__always)
    func inputRow(_ oy: Int, ky: Int) -> Int? {
        let iy = oy * stride - padding + ky
        return iy >= 0 && iy < height ? iy : nil
    }
}

/// One kernel tap `(ky, kx)` of a `ConvGeometry`, as `forEachTap` hands it over.
struct KernelTap {
    /// `ky·k + kx`: the tap's row among one channel's k² rows of a column matrix.
    var index: Int
    var ky: Int
    /// The input column under output column 0 (`kx − padding`): output column
    /// `ox` reads input column `ox·stride + xOffset`.
    var xOffset: Int
    /// The output columns `lo..<hi` whose input column lies inside the image.
    var lo: Int
    var hi: Int
}

/// im2col and col2im over a chunk of images (NCHW), Caffe's formulation with
/// the whole chunk in one matrix so that one GEMM covers all of its images.
///
/// The column matrix has `geometry.rows` rows — row `(c*k + ky)*k + kx` — and
/// `ld ≥ images·positions` columns; image `j`'s output position `(oy, ox)` is
/// column `j·positions + oy·outWidth + ox`. Work is split over (image,
/// channel) pairs: every pair owns disjoint rows-segments of the matrix and a
/// disjoint plane of the image, so the threads never write the same memory.
enum Im2col {
    /// Fills `columns` from `images` consecutive NCHW images at `input`.
    static func im2col(_ input: UnsafePointer<Float>, images: Int, geometry g: ConvGeometry,
                       columns: UnsafeMutablePointer<Float>, ld: Int) {
        let tasks = images * g.channels
        ComputeThreads.parallelFor(tasks: tasks, work: g.rows * images * g.positions) { range in
            for task in range {
                let j = task / g.channels, c = task % g.channels
                im2colPlane(input + task * g.height * g.width, geometry: g,
                            columns: columns + c * g.kernel * g.kernel * ld + j * g.positions, ld: ld)
            }
        }
    }

    /// Writes the k·k row segments of one (image, channel) plane.
    @inline(__always)
    private static func im2colPlane(_ plane: UnsafePointer<Float>, geometry g: ConvGeometry,
                                    columns: UnsafeMutablePointer<Float>, ld: Int) {
        let s = g.stride, oh = g.outHeight, ow = g.outWidth
        g.forEachTap { tap in
            let (lo, hi) = (tap.lo, tap.hi)
            var dst = columns + tap.index * ld
            for oy in 0..<oh {
                if let iy = g.inputRow(oy, ky: tap.ky) {
                    let src = plane + iy * g.width + tap.xOffset
                    for ox in 0..<lo { dst[ox] = 0 }
                    if s == 1 {
                        (dst + lo).update(from: src + lo, count: hi - lo)
                    } else if s == 2 {
                        gatherEven(src, dst, lo, hi, last: g.width - 1 - tap.xOffset)
                    } else {
                        for ox in lo..<hi { dst[ox] = src[ox * s] }
                    }
                    for ox in hi..<ow { dst[ox] = 0 }
                } else {
                    dst.update(repeating: 0, count: ow)
                }
                dst += ow
            }
        }
    }

    /// Writes (not accumulates) `images` NCHW images at `output` from `columns`:
    /// every pixel is the sum of the column entries that im2col would have
    /// copied from it. col2im is im2col's adjoint.
    static func col2im(_ columns: UnsafePointer<Float>, ld: Int, images: Int, geometry g: ConvGeometry,
                       output: UnsafeMutablePointer<Float>) {
        let tasks = images * g.channels
        ComputeThreads.parallelFor(tasks: tasks, work: g.rows * images * g.positions) { range in
            for task in range {
                let j = task / g.channels, c = task % g.channels
                col2imPlane(columns + c * g.kernel * g.kernel * ld + j * g.positions, ld: ld,
                            geometry: g, plane: output + task * g.height * g.width)
            }
        }
    }

    @inline(__always)
    private static func col2imPlane(_ columns: UnsafePointer<Float>, ld: Int, geometry g: ConvGeometry,
                                    plane: UnsafeMutablePointer<Float>) {
        let s = g.stride, oh = g.outHeight, ow = g.outWidth
        plane.update(repeating: 0, count: g.height * g.width)
        g.forEachTap { tap in
            var src = columns + tap.index * ld
            for oy in 0..<oh {
                if let iy = g.inputRow(oy, ky: tap.ky) {
                    let dst = plane + iy * g.width + tap.xOffset
                    if s == 2 {
                        scatterAddEven(src, dst, tap.lo, tap.hi, last: g.width - 1 - tap.xOffset)
                    } else {
                        for ox in tap.lo..<tap.hi { dst[ox * s] += src[ox] }
                    }
                }
                src += ow
            }
        }
    }

    // Stride 2, the seed model's case: eight outputs per step from sixteen
    // inputs (SIMD even lanes). A vector step also touches the odd element
    // after the last one it uses, so it runs only while that element is still
    // in the row (index ≤ `last`): past the row's end could be past the
    // buffer, or (col2im) in a plane another thread owns. A scalar tail ends.

    /// `dst[ox] = src[2·ox]` for `ox` in `lo..<hi`.
    @inline(__always)
    private static func gatherEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                   _ lo: Int, _ hi: Int, last: Int) {
        var ox = lo
        while ox + 8 <= hi && 2 * ox + 15 <= last {
            let v = UnsafeRawPointer(src + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + ox).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
            ox += 8
        }
        while ox < hi { dst[ox] = src[2 * ox]; ox += 1 }
    }

    /// `dst[2·ox] += src[ox]` for `ox` in `lo..<hi`.
    @inline(__always)
    private static func scatterAddEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                       _ lo: Int, _ hi: Int, last: Int) {
        var ox = lo
        while ox + 8 <= hi && 2 * ox + 15 <= last {
            let raw = UnsafeMutableRawPointer(dst + 2 * ox)
            var v = UnsafeRawPointer(raw).loadUnaligned(as: SIMD16<Float>.self)
            v.evenHalf += UnsafeRawPointer(src + ox).loadUnaligned(as: SIMD8<Float>.self)
            raw.storeBytes(of: v, as: SIMD16<Float>.self)
            ox += 8
        }
        while ox < hi { dst[2 * ox] += src[ox]; ox += 1 }
    }
}
