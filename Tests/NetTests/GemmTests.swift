import XCTest
@testable import Net

/// `sgemm` cuts large products into fixed tiles of C shared among compute
/// threads; every transpose combination and both split directions must equal
/// the direct sum, with the same bits on any thread count.
final class GemmTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(1) }

    func testSplitProductsEqualTheDefinition() {
        // (m, n, k): wide C splits columns, tall C splits rows; sides not multiples of 16.
        for (m, n, k) in [(37, 601, 197), (601, 37, 197), (300, 300, 64)] {
            XCTAssertGreaterThan(GemmTiling(m: m, n: n, k: k).tiles, 1, "shape must take the split path")
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
        XCTAssertTrue(results[1] == results[0], "2 threads: not bit-identical to 1", file: file, line: line)
        XCTAssertTrue(results[2] == results[0], "3 threads: not bit-identical to 1", file: file, line: line)
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

    /// The tiling is the whole side cut once, on aligned edges, into a power of
    /// two of tiles, and nothing in it comes from the thread count.
    func testTilingDependsOnTheShapeOnly() {
        for (m, n, k) in [(64, 4096, 1024), (512, 64, 8192), (37, 601, 197), (16, 16, 16), (2048, 2048, 2048)] {
            ComputeThreads.set(1)
            let one = GemmTiling(m: m, n: n, k: k)
            ComputeThreads.set(7)
            XCTAssertEqual(GemmTiling(m: m, n: n, k: k), one, "(\(m), \(n), \(k))")
            XCTAssertEqual(one.tiles & (one.tiles - 1), 0, "power of two")
            XCTAssertLessThanOrEqual(one.tiles, GemmTiling.maximumTiles)
            var next = 0
            for t in 0..<one.tiles {
                let r = one.range(t)
                XCTAssertEqual(r.lowerBound, next, "tiles are contiguous")
                XCTAssertEqual(r.lowerBound % GemmTiling.alignment, 0, "aligned edge")
                XCTAssertGreaterThanOrEqual(r.count, one.tiles == 1 ? 1 : GemmTiling.minimumSide - GemmTiling.alignment)
                next = r.upperBound
            }
            XCTAssertEqual(next, one.side, "tiles cover the side")
        }
        XCTAssertEqual(GemmTiling(m: 16, n: 16, k: 16).tiles, 1, "small products stay whole")
        XCTAssertEqual(GemmTiling(m: 64, n: 4096, k: 1024).tiles, 16)
    }
}
