import CBLAS

/// Row-major `C = alpha · op(A) · op(B) + beta · C` (OpenBLAS `cblas_sgemm`),
/// with Swift `Int`s and `Bool` transposes so call sites read like the maths.
/// `m × k` is op(A), `k × n` is op(B), `m × n` is C.
@inline(__always)
func sgemm(transposeA: Bool = false, transposeB: Bool = false,
           m: Int, n: Int, k: Int,
           alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int,
           _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float,
           _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}
