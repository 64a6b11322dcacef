import CBLAS
import Dispatch

/// Row-major `C = alpha · op(A) · op(B) + beta · C` (OpenBLAS `cblas_sgemm`),
/// with Swift `Int`s and `Bool` transposes so call sites read like the maths.
/// `m × k` is op(A), `k × n` is op(B), `m × n` is C.
///
/// A large product is cut into the fixed tiles of `GemmTiling`, which depend on
/// (m, n, k) only; each tile is one single-threaded OpenBLAS call, and the tiles
/// are handed out to vcolor's own thread pool in contiguous runs. Every tile is
/// the same call with the same arguments whatever the thread count, so C has
/// the same bits on 1 or 16 threads with any OpenBLAS kernel family. (Cutting C
/// into one block per thread did not: OpenBLAS's Haswell and Zen kernels
/// round a column differently depending on where it falls in the block they
/// are handed.) OpenBLAS's own workers stay off, because they spin for a while
/// after every call and stole a core from the parallel im2col/BatchNorm loops
/// that follow each GEMM.
@inline(__always)
func sgemm(transposeA: Bool = false, transposeB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int,
           _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float,
           _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    let tiling = GemmTiling(m: m, n: n, k: k)
    let threads = min(ComputeThreads.count, tiling.tiles)
    guard threads > 1 else {
        for tile in 0..<tiling.tiles {
            gemmTile(tiling, tile, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        for tile in (tiling.tiles * t / threads)..<(tiling.tiles * (t + 1) / threads) {
            gemmTile(tiling, tile, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }
}

/// How `sgemm` cuts C into tiles: a function of the product's shape alone.
///
/// C is cut along its longer side into a power of two of tiles (so 2, 4 or 8
/// threads share them evenly), each at least `minimumSide` rows or columns and
/// `minimumWork` multiply-adds, at most `maximumTiles`; tile edges fall on
/// multiples of `alignment` so the micro-kernels run on full panels. A single
/// thread runs the same tiles one after another: each call repacks the other
/// operand, which at ≥ 128 columns a tile costs no measurable time
/// (docs/performance.md §Thread-count independence).
struct GemmTiling: Equatable {
    /// Whether tiles are column blocks of C (else row blocks).
    let splitColumns: Bool
    /// The length of the side being cut.
    let side: Int
    /// Number of tiles (a power of two, ≥ 1).
    let tiles: Int

    static let alignment = 16
    static let minimumSide = 128
    static let minimumWork = 1 << 20
    static let maximumTiles = 16

    init(m: Int, n: Int, k: Int) {
        splitColumns = n >= m
        side = splitColumns ? n : m
        let work = m * n * k
        let limit = min(Self.maximumTiles, side / Self.minimumSide, work / Self.minimumWork)
        var count = 1
        while count * 2 <= limit { count *= 2 }
        tiles = count
    }

    /// Rows or columns of tile `t`.
    func range(_ t: Int) -> Range<Int> {
        let units = side / Self.alignment
        let lo = t == 0 ? 0 : units * t / tiles * Self.alignment
        let hi = t == tiles - 1 ? side : units * (t + 1) / tiles * Self.alignment
        return lo..<hi
    }
}

@inline(__always)
private func gemmTile(_ tiling: GemmTiling, _ tile: Int, _ transposeA: Bool, _ transposeB: Bool,
                      _ m: Int, _ n: Int, _ k: Int,
                      _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                      _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let r = tiling.range(tile)
    guard !r.isEmpty else { return }
    if tiling.tiles == 1 {
        singleGemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    } else if tiling.splitColumns {
        // Columns r of C and of op(B).
        let bBlock = transposeB ? b + r.lowerBound * ldb : b + r.lowerBound
        singleGemm(transposeA, transposeB, m, r.count, k, alpha, a, lda, bBlock, ldb, beta, c + r.lowerBound, ldc)
    } else {
        // Rows r of C and of op(A).
        let aBlock = transposeA ? a + r.lowerBound : a + r.lowerBound * lda
        singleGemm(transposeA, transposeB, r.count, n, k, alpha, aBlock, lda, b, ldb, beta,
                   c + r.lowerBound * ldc, ldc)
    }
}

@inline(__always)
private func singleGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                        _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                        _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
