import XCTest
@testable import Net

/// `sgemm` splits large products into blocks of C across compute threads; every
/// transpose combination and both split directions must equal the direct sum.
final class GemmTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(1) }

    func testSplitProductsEqualTheDefinition() {
        // (m, n, k): wide C splits columns, tall C splits rows; sides not multiples of 16.
        for (m, n, k) in [(37, 301, 97), (301, 37, 97), (64, 64, 300)] {
            XCTAssertGreaterThanOrEqual(m * n * k, parallelGemmWork, "shape must take the split path")
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
    }

    private func check(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
                       file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomGenerator(seed: UInt64(m * 1000 + n + (transposeA ? 7 : 0) + (transposeB ? 11 : 0)))
        // Leading dimensions larger than the rows, to catch offset mistakes.
        let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 5, ldc = n + 2
        let aRows = transposeA ? k : m, bRows = transposeB ? n : k
        let a = randomArray(aRows * lda, &rng), b = randomArray(bRows * ldb, &rng)
        let c0 = randomArray(m * ldc, &rng)
        func A(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p * lda + i] : a[i * lda + p]) }
        func B(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j * ldb + p] : b[p * ldb + j]) }

        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            var c = c0
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                              pa.baseAddress!, lda: lda, pb.baseAddress!, ldb: ldb, beta: 2,
                              pc.baseAddress!, ldc: ldc)
                    }
                }
            }
            results.append(c)
        }
        for i in 0..<m {
            for j in 0..<ldc {
                let expected: Double
                if j < n {
                    var s = 0.0
                    for p in 0..<k { s += A(i, p) * B(p, j) }
                    expected = 0.5 * s + 2 * Double(c0[i * ldc + j])
                } else {
                    expected = Double(c0[i * ldc + j])   // padding beyond n is untouched
                }
                for (t, c) in results.enumerated() {
                    XCTAssertEqual(Double(c[i * ldc + j]), expected, accuracy: 1e-4 * max(1, abs(expected)),
                                   "threads \(t + 1) tA \(transposeA) tB \(transposeB) C[\(i),\(j)]", file: file, line: line)
                }
            }
        }
    }
}
