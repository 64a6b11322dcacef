import MPIShim

/// The precision gradients travel in between ranks (`--allreduce-precision`).
///
/// `bf16` halves the bytes on the wire, as PyTorch DDP's bf16 compression hook
/// does: every rank rounds its gradients to bfloat16, the ranks sum them with
/// a reduction that adds in fp32 and rounds each partial sum back to bf16
/// (`BFloat16.sumOperation`), and every rank widens the sum to fp32 and scales
/// it by 1/N in fp32. All ranks receive the same bf16 sum from MPI and apply
/// the same fp32 arithmetic to it, so replicas stay bit-identical.
public enum AllReducePrecision: String, CaseIterable, Sendable {
    case fp32, bf16

    /// Bytes one gradient element takes on the wire.
    public var bytesPerElement: Int { self == .fp32 ? 4 : 2 }
}

/// bfloat16 as its 16 bits: the top half of an IEEE binary32 (sign, 8
/// exponent bits, 7 mantissa bits), so widening is a shift and narrowing a
/// rounding of the low 16 bits.
public enum BFloat16 {
    /// Rounds to the nearest bfloat16, ties to even (the mantissa's lowest
    /// kept bit); NaNs stay NaN (quiet), infinities and overflow go to ±∞.
    @inline(__always)
    public static func narrow(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// The exact fp32 value of a bfloat16.
    @inline(__always)
    public static func widen(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The reduction step MPI applies to two bf16 vectors:
    /// `inout[i] = narrow(widen(in[i]) + widen(inout[i]))` (an fp32 add, one rounding).
    public static func sum(_ input: UnsafePointer<UInt16>, into output: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { output[i] = narrow(widen(input[i]) + widen(output[i])) }
    }

    /// Rounds `source` into `wire` (same count).
    public static func narrow(_ source: UnsafeMutableBufferPointer<Float>, into wire: UnsafeMutableBufferPointer<UInt16>) {
        guard let s = source.baseAddress, let w = wire.baseAddress else { return }
        for i in 0..<min(source.count, wire.count) { w[i] = narrow(s[i]) }
    }

    /// `destination[i] = widen(wire[i]) * factor`, in fp32 (the scale-back to the mean).
    public static func widen(_ wire: UnsafeMutableBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>,
                             scaledBy factor: Float) {
        guard let s = wire.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<min(wire.count, destination.count) { d[i] = widen(s[i]) * factor }
    }

    /// The MPI operation over MPI_UINT16_T elements holding bf16 (created
    /// once, after MPI_Init, by the Communicator). Commutative like MPI_SUM:
    /// a + b and b + a round to the same bits. It must stay declared so: the
    /// all-reduce algorithm the Communicator asks for is used only for
    /// commutative operations.
    static func makeSumOperation() throws -> MPI_Op {
        var op: MPI_Op? = nil
        try mpiCheck(MPI_Op_create({ input, output, count, _ in
            guard let input, let output, let count else { return }
            BFloat16.sum(input.assumingMemoryBound(to: UInt16.self), into: output.assumingMemoryBound(to: UInt16.self),
                         count: Int(count.pointee))
        }, 1, &op), "MPI_Op_create (bf16 sum)")
        return op!
    }
}

/// A blocking bf16 average of one gradient buffer, with its wire scratch
/// allocated once (no allocation per step).
public final class BFloat16Average {
    let communicator: Communicator
    let wire: UnsafeMutableBufferPointer<UInt16>

    public init(communicator: Communicator, count: Int) {
        self.communicator = communicator
        wire = .allocate(capacity: count)
        wire.initialize(repeating: 0)
    }

    deinit { wire.deallocate() }

    /// Averages `buffer` (of the count given at init) across ranks in place.
    public func average(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try communicator.allReduceAverage(buffer, wire: wire)
    }
}
