import TestSupport
import XCTest
@testable import Distributed

/// The bf16 rounding and reduction step behind `--allreduce-precision bf16`.
final class BFloat16Tests: XCTestCase {
    func testNarrowRoundsToNearestTiesToEven() {
        XCTAssertEqual(BFloat16.narrow(1), 0x3F80)
        XCTAssertEqual(BFloat16.narrow(-2), 0xC000)
        XCTAssertEqual(BFloat16.narrow(-0.0), 0x8000)
        // 1 + 2⁻⁸ lies halfway between 1 (mantissa …0, even) and 1 + 2⁻⁷: down.
        XCTAssertEqual(BFloat16.narrow(1 + 0x1p-8), 0x3F80)
        // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ (odd) and 1 + 2·2⁻⁷ (even): up.
        XCTAssertEqual(BFloat16.narrow(1 + 3 * 0x1p-8), 0x3F82)
        // Just above the halfway point: up; just below: down.
        XCTAssertEqual(BFloat16.narrow(1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(BFloat16.narrow(1 + 0x1p-8 - 0x1p-20), 0x3F80)
        // Overflow rounds to infinity; infinities and NaN survive.
        XCTAssertEqual(BFloat16.narrow(.greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(BFloat16.narrow(-.infinity), 0xFF80)
        XCTAssertTrue(BFloat16.widen(BFloat16.narrow(.nan)).isNaN)
        XCTAssertTrue(BFloat16.widen(BFloat16.narrow(Float(bitPattern: 0x7F80_0001))).isNaN, "a NaN with low payload bits only")
        // Widening is exact: every bf16 round-trips.
        for bits in stride(from: 0, through: 0xFFFF, by: 1) where !BFloat16.widen(UInt16(bits)).isNaN {
            XCTAssertEqual(BFloat16.narrow(BFloat16.widen(UInt16(bits))), UInt16(bits))
        }
    }

    func testNarrowIsTheNearestBFloat16() {
        // Against a direct search: the nearer of the two bf16 neighbours (ties to even).
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let x = Float(bitPattern: UInt32.random(in: 0...0x7F00_0000, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
            let down = UInt16(x.bitPattern >> 16), up = down &+ 1
            let dDown = abs(Double(x) - Double(BFloat16.widen(down))), dUp = abs(Double(x) - Double(BFloat16.widen(up)))
            let expected = dDown < dUp ? down : dUp < dDown ? up : (down & 1 == 0 ? down : up)
            XCTAssertEqual(BFloat16.narrow(x), expected, "\(x)")
        }
    }

    func testSumAddsInFP32AndRoundsOnce() {
        // bf16 holds 8 significant bits: 256 + 1 = 257 is a tie between 256
        // (even) and 258, so the rounded sum is 256; 1 + 1 and 3 − 3 are exact.
        var a: [UInt16] = [BFloat16.narrow(256), BFloat16.narrow(1), BFloat16.narrow(3)]
        let b: [UInt16] = [BFloat16.narrow(1), BFloat16.narrow(1), BFloat16.narrow(-3)]
        a.withUnsafeMutableBufferPointer { out in b.withUnsafeBufferPointer { BFloat16.sum($0.baseAddress!, into: out.baseAddress!, count: 3) } }
        XCTAssertEqual(a.map { BFloat16.widen($0) }, [256, 2, 0])
        // Random vectors against the direct computation of the same rounding.
        let x = (0..<4096).map { _ in BFloat16.narrow(Float.random(in: -100...100)) }
        var y = (0..<4096).map { _ in BFloat16.narrow(Float.random(in: -1...1)) }
        let expected = zip(x, y).map { BFloat16.narrow(BFloat16.widen($0) + BFloat16.widen($1)) }
        y.withUnsafeMutableBufferPointer { out in x.withUnsafeBufferPointer { BFloat16.sum($0.baseAddress!, into: out.baseAddress!, count: 4096) } }
        XCTAssertEqual(y, expected)
    }

    func testWidenScalesBackInFP32() {
        var wire: [UInt16] = [BFloat16.narrow(3), BFloat16.narrow(-1.5)]
        var out: [Float] = [0, 0]
        wire.withUnsafeMutableBufferPointer { w in out.withUnsafeMutableBufferPointer { BFloat16.widen(w, into: $0, scaledBy: 0.5) } }
        XCTAssertEqual(out, [1.5, -0.75])
        XCTAssertEqual(AllReducePrecision.bf16.bytesPerElement * 2, AllReducePrecision.fp32.bytesPerElement)
    }
}
