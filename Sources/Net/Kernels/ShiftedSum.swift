/// The kernels of a convolution computed on the *input* grid, for layers with
/// few output channels (the PatchGAN head: 256 → 1, stride 1).
///
/// There im2col is wasteful: its column matrix has `C·k²` rows per output
/// position (4096 for the head) only to be reduced by a GEMM with one output
/// row. Instead one GEMM per output channel `o` computes, at every input
/// pixel, the k² partial products `T[(o, ky, kx), pixel] = Σ_c W[o, c, ky, kx] ·
/// x[c, pixel]` (a matrix of `M·k²` rows), and the output is a sum of k²
/// shifted reads of T:
///
///     y[o, oy, ox] = Σ_{ky, kx} T[(o, ky, kx), (oy·s − p + ky, ox·s − p + kx)]
///
/// `gather` is that sum; `scatter` is its adjoint, used by backward to form
/// dT from dy. T's layout is like a column matrix: row `(o·k + ky)·k + kx`,
/// image `j`'s pixel `(iy, ix)` at column `j·H·W + iy·W + ix`, leading
/// dimension `ld`. `geometry` is the convolution's (input side). Work is split
/// over (image, output channel) pairs, which touch disjoint memory.
enum ShiftedSum {
    /// `y[j, o] = Σ_{ky,kx}` shifted rows of `t` (writes, not accumulates).
    static func gather(_ t: UnsafePointer<Float>, ld: Int, images: Int, outChannels: Int,
                       geometry g: ConvGeometry, output y: UnsafeMutablePointer<Float>) {
        let kk = g.kernel * g.kernel, plane = g.height * g.width
        ComputeThreads.parallelFor(tasks: images * outChannels, work: images * outChannels * kk * g.positions) { range in
            for task in range {
                let j = task / outChannels, o = task % outChannels
                let dst = y + task * g.positions
                dst.update(repeating: 0, count: g.positions)
                g.forEachTap { tap in
                    let src = t + (o * kk + tap.index) * ld + j * plane
                    for oy in 0..<g.outHeight {
                        guard let iy = g.inputRow(oy, ky: tap.ky) else { continue }
                        let row = src + iy * g.width + tap.xOffset, out = dst + oy * g.outWidth
                        for ox in tap.lo..<tap.hi { out[ox] += row[ox * g.stride] }
                    }
                }
            }
        }
    }

    /// The adjoint of `gather`: `t[(o, ky, kx), j, iy, ix] = dy[j, o, oy, ox]`
    /// where `(iy, ix)` is `(oy, ox)`'s input pixel under `(ky, kx)`, else 0.
    static func scatter(_ dy: UnsafePointer<Float>, images: Int, outChannels: Int,
                        geometry g: ConvGeometry, into t: UnsafeMutablePointer<Float>, ld: Int) {
        let kk = g.kernel * g.kernel, plane = g.height * g.width
        ComputeThreads.parallelFor(tasks: images * outChannels, work: images * outChannels * kk * plane) { range in
            for task in range {
                let j = task / outChannels, o = task % outChannels
                let src = dy + task * g.positions
                g.forEachTap { tap in
                    let dst = t + (o * kk + tap.index) * ld + j * plane
                    dst.update(repeating: 0, count: plane)
                    for oy in 0..<g.outHeight {
                        guard let iy = g.inputRow(oy, ky: tap.ky) else { continue }
                        let row = dst + iy * g.width + tap.xOffset, grad = src + oy * g.outWidth
                        for ox in tap.lo..<tap.hi { row[ox * g.stride] = grad[ox] }
                    }
                }
            }
        }
    }
}
