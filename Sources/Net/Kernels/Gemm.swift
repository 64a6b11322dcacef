import CBLAS
import Dispatch

/// Row-major `C = alpha · op(A) · op(B) + beta · C` (OpenBLAS `cblas_sgemm`),
/// with Swift `Int`s and `Bool` transposes so call sites read like the maths.
/// `m × k` is op(A), `k × n` is op(B), `m × n` is C.
///
/// With several compute threads a large product is split into one block of C
/// per thread (along its longer side) and each block runs single-threaded
/// OpenBLAS on vcolor's own thread pool. OpenBLAS's own workers spin for a while
/// after every call, which stole a core from the parallel im2col/BatchNorm loops
/// that follow each GEMM: with one pool for everything a two-thread seed step
/// went from 3.4–4.7 s (bimodal) to a steady 3.0 s.
@inline(__always)
func sgemm(transposeA: Bool = false, transposeB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int,
           _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float,
           _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    let splitColumns = n >= m
    let side = splitColumns ? n : m
    let threads = min(ComputeThreads.count, side / gemmBlockAlignment)
    guard threads > 1, m * n * k >= parallelGemmWork else {
        singleGemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        // Block edges on multiples of the alignment keep the micro-kernels on full panels.
        let units = side / gemmBlockAlignment
        let lo = t == 0 ? 0 : units * t / threads * gemmBlockAlignment
        let hi = t == threads - 1 ? side : units * (t + 1) / threads * gemmBlockAlignment
        guard lo < hi else { return }
        if splitColumns {
            // Columns lo..<hi of C and of op(B).
            let bBlock = transposeB ? b + lo * ldb : b + lo
            singleGemm(transposeA, transposeB, m, hi - lo, k, alpha, a, lda, bBlock, ldb, beta, c + lo, ldc)
        } else {
            // Rows lo..<hi of C and of op(A).
            let aBlock = transposeA ? a + lo : a + lo * lda
            singleGemm(transposeA, transposeB, hi - lo, n, k, alpha, aBlock, lda, b, ldb, beta, c + lo * ldc, ldc)
        }
    }
}

/// Products smaller than this many multiply-adds stay on the calling thread.
let parallelGemmWork = 1 << 20
/// Blocks of C handed to threads are multiples of this many rows or columns.
let gemmBlockAlignment = 16

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
