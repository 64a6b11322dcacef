/// One batch's pass of a `Conv2d` or `ConvTranspose2d` over its column
/// matrix, chunk by chunk (`ConvPlan`), and the three GEMMs both layers are
/// made of. They meet the column matrix `[rows, images·positions]` from an
/// *image side*: `channels` NCHW planes of `positions` each (Conv2d's output,
/// ConvTranspose2d's input), with the weight read as `W [channels, rows]`.
/// Conv2d's forward is `image = W · cols`, its input gradient
/// `cols = Wᵀ · image`; ConvTranspose2d, the adjoint, runs the same two the
/// other way round; both add `dW += image · colsᵀ`.
struct ColumnPass {
    let plan: ConvPlan
    let rows: Int
    let positions: Int
    let channels: Int
    /// The column matrix of one chunk, `rows × chunk·positions`.
    let columns: UnsafeMutablePointer<Float>
    /// A chunk's image side channel-major, `[channels, images·positions]`, for
    /// the batched GEMMs (the column matrix itself when the plan goes image by
    /// image, where it is not used).
    let channelMajor: UnsafeMutablePointer<Float>
    /// `W [channels, rows]`.
    let weight: UnsafeMutablePointer<Float>

    /// Calls `body(first, chunk)` for each chunk of `n` images.
    func forEachChunk(_ n: Int, _ body: (Int, Chunk) -> Void) {
        plan.forEachChunk(n) { first, images in body(first, Chunk(pass: self, images: images)) }
    }

    /// `images` images of the pass: image by image when the plan says so
    /// (each GEMM reads its slice of the column matrix and writes NCHW), else
    /// one GEMM over `channelMajor` (see `ConvPlan`).
    struct Chunk {
        let pass: ColumnPass
        let images: Int
        /// The leading dimension of the chunk's column matrix.
        var ld: Int { images * pass.positions }

        /// Copies the chunk's NCHW `image` into `channelMajor` for the batched
        /// `columnsFromImage` and `addWeightGradient`; nothing per image.
        func loadChannelMajor(_ image: UnsafePointer<Float>) {
            guard !pass.plan.perImage else { return }
            ChannelMajor.fromNCHW(image, images: images, channels: pass.channels, positions: pass.positions,
                                  to: pass.channelMajor, ld: ld)
        }

        /// `image [channels, ld] = W · cols`, written NCHW to `image` (batched:
        /// through `channelMajor`, which it overwrites).
        func imageFromColumns(into image: UnsafeMutablePointer<Float>) {
            let (c, k, p, w, columns) = (pass.channels, pass.rows, pass.positions, pass.weight, pass.columns)
            if pass.plan.perImage {
                for j in 0..<images {
                    sgemm(m: c, n: p, k: k, w, lda: k, columns + j * p, ldb: ld, beta: 0, image + j * c * p, ldc: p)
                }
            } else {
                sgemm(m: c, n: ld, k: k, w, lda: k, columns, ldb: ld, beta: 0, pass.channelMajor, ldc: ld)
                ChannelMajor.toNCHW(pass.channelMajor, ld: ld, images: images, channels: c, positions: p, to: image)
            }
        }

        /// `cols [rows, ld] = Wᵀ · image` from the NCHW `image` (batched: from
        /// `channelMajor`, after `loadChannelMajor(image)`).
        func columnsFromImage(_ image: UnsafePointer<Float>) {
            let (c, k, p, w, columns) = (pass.channels, pass.rows, pass.positions, pass.weight, pass.columns)
            if pass.plan.perImage {
                for j in 0..<images {
                    sgemm(transposeA: true, m: k, n: p, k: c, w, lda: k, image + j * c * p, ldb: p,
                          beta: 0, columns + j * p, ldc: ld)
                }
            } else {
                sgemm(transposeA: true, m: k, n: ld, k: c, w, lda: k, pass.channelMajor, ldb: ld, beta: 0, columns, ldc: ld)
            }
        }

        /// `dW [channels, rows] += image · colsᵀ` from the NCHW `image`
        /// (batched: from `channelMajor`, after `loadChannelMajor(image)`).
        func addWeightGradient(_ image: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
            let (c, k, p, columns) = (pass.channels, pass.rows, pass.positions, pass.columns)
            if pass.plan.perImage {
                for j in 0..<images {
                    sgemm(transposeB: true, m: c, n: k, k: p, image + j * c * p, lda: p, columns + j * p, ldb: ld,
                          beta: 1, dw, ldc: k)
                }
            } else {
                sgemm(transposeB: true, m: c, n: k, k: ld, pass.channelMajor, lda: ld, columns, ldb: ld, beta: 1, dw, ldc: k)
            }
        }
    }
}
