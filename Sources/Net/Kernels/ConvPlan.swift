/// How a convolution over `n` images is cut into GEMMs.
///
/// The column matrix of a whole batch can be large (a 4×4 conv from 64
/// channels at 64² over 32 images is 134 MB), so images are processed in
/// chunks whose column matrix stays within `columnBudget` floats; chunks are
/// balanced (32 images with room for 20 become 2 × 16, not 20 + 12).
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

    /// Column-matrix budget in floats (64 MB).
    nonisolated(unsafe) static var columnBudget = 16 << 20
    /// Positions per image from which per-image GEMMs are used.
    nonisolated(unsafe) static var perImagePositions = 1024

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
