/// How a convolution over `n` images is cut into GEMMs.
///
/// The column matrix of a whole batch can be large (a 4×4 conv from 64
/// channels at 64² over 32 images is 134 MB), so images are processed in
/// chunks whose column matrix stays within `columnBudget` floats; chunks are
/// balanced (32 images with room for 20 become 2 × 16, not 20 + 12). The
/// budget is small on purpose: a 4 MB column matrix written by im2col is
/// still in the last-level cache when the GEMM reads it. Measured on the seed
/// model (1 thread, 32 × 128²): a 64 MB budget ran the big layers at 30–65
/// GFLOP/s, 4 MB at 75–95; the GEMMs lose nothing at N ≥ 128.
///
/// Within a chunk there are two ways to run the GEMMs:
/// - **per image**, when one image has at least `perImagePositions` positions:
///   each image's GEMM reads its slice of the column matrix (leading dimension
///   = the chunk's width) and writes straight into the NCHW tensor, no reorder;
/// - **batched**, for the deep layers whose images have a handful of positions
///   (down7 has one): one GEMM over the chunk in channel-major layout
///   `[C, images·positions]`, with the activation reordered to/from NCHW —
///   a per-image GEMM with N = 1 would run at a fraction of GEMM speed.
struct ConvPlan {
    /// Images per chunk (the last chunk may be smaller).
    let chunk: Int
    let perImage: Bool

    /// Column-matrix budget in floats (4 MB; at least one image's matrix is always used).
    nonisolated(unsafe) static var columnBudget = 1 << 20
    /// Positions per image from which per-image GEMMs are used.
    nonisolated(unsafe) static var perImagePositions = 1024

    /// Whether a `Conv2d` with these sizes runs on the input grid (`ShiftedSum`)
    /// instead of im2col: for stride 1 and at most one output channel per 8
    /// input channels, T has 8× fewer rows than the column matrix at the same
    /// GEMM cost. Only the PatchGAN head qualifies in the seed model.
    static func usesShiftedSum(inChannels: Int, outChannels: Int, stride: Int) -> Bool {
        forceShiftedSum ?? (stride == 1 && 8 * outChannels <= inChannels)
    }

    /// Tests force either path on small shapes.
    nonisolated(unsafe) static var forceShiftedSum: Bool?

    /// `rows` column-matrix rows per position, `positions` per image.
    init(images n: Int, rows: Int, positions: Int) {
        let perImageFloats = max(1, rows * positions)
        let fit = max(1, min(n, ConvPlan.columnBudget / perImageFloats))
        let chunks = (n + fit - 1) / fit
        chunk = max(1, (n + chunks - 1) / chunks)
        perImage = positions >= ConvPlan.perImagePositions
    }

    /// Calls `body(first, count)` for each chunk of `n` images.
    @inline(__always)
    func forEachChunk(_ n: Int, _ body: (Int, Int) -> Void) {
        var first = 0
        while first < n {
            let count = min(chunk, n - first)
            body(first, count)
            first += count
        }
    }
}
