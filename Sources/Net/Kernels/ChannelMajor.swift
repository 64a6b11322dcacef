/// Reorders between NCHW (`[n, C, P]`, P = H·W) and channel-major `[C, n·P]`,
/// the layout in which one GEMM covers a whole batch, plus the per-channel
/// bias kernels. All are memory-bound and split over threads.
enum ChannelMajor {
    /// `[images, channels, positions]` at `src` → `[channels, ld]` at `dst`
    /// (image j's plane at column `j·positions`).
    static func fromNCHW(_ src: UnsafePointer<Float>, images: Int, channels: Int, positions: Int,
                         to dst: UnsafeMutablePointer<Float>, ld: Int) {
        ComputeThreads.parallelFor(tasks: channels, work: images * channels * positions) { range in
            for c in range {
                for j in 0..<images {
                    (dst + c * ld + j * positions)
                        .update(from: src + (j * channels + c) * positions, count: positions)
                }
            }
        }
    }

    /// `[channels, ld]` at `src` → `[images, channels, positions]` at `dst`.
    static func toNCHW(_ src: UnsafePointer<Float>, ld: Int, images: Int, channels: Int, positions: Int,
                       to dst: UnsafeMutablePointer<Float>) {
        ComputeThreads.parallelFor(tasks: channels, work: images * channels * positions) { range in
            for c in range {
                for j in 0..<images {
                    (dst + (j * channels + c) * positions)
                        .update(from: src + c * ld + j * positions, count: positions)
                }
            }
        }
    }

    /// `y[j, c, :] += bias[c]` for an NCHW tensor.
    static func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>,
                        images: Int, channels: Int, positions: Int) {
        let tasks = images * channels
        ComputeThreads.parallelFor(tasks: tasks, work: tasks * positions) { range in
            for task in range {
                let b = bias[task % channels]
                let p = y + task * positions
                for i in 0..<positions { p[i] += b }
            }
        }
    }

    /// `grad[c] += Σ_{j, i} dy[j, c, i]` (the bias gradient).
    static func accumulateBiasGradient(_ dy: UnsafePointer<Float>, images: Int, channels: Int,
                                       positions: Int, into grad: UnsafeMutablePointer<Float>) {
        ComputeThreads.parallelFor(tasks: channels, work: images * channels * positions) { range in
            for c in range {
                var total: Float = 0
                for j in 0..<images { total += sum(dy + (j * channels + c) * positions, count: positions) }
                grad[c] += total
            }
        }
    }

    /// A vectorised sum (eight partial sums; strict FP order would stop the
    /// compiler from vectorising a plain loop).
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }
}
