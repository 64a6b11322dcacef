import CDeflate

/// Whole-chunk compression into the exact stream HDF5's deflate filter reads
/// (a zlib stream), so chunks compressed here (on any thread, without the HDF5
/// lock) can be stored with `HDF5Dataset.writeChunk` and read back by any HDF5
/// reader, which inflates them with zlib.
///
/// libdeflate rather than zlib's `compress2`: a chunk is always one whole buffer,
/// which is the case libdeflate is built for, and `compress2` also sets up and
/// frees its state on every call (docs/dataprep.md §Speed has the measurements).
/// One instance per thread: it owns its compressor and output buffer.
public final class Deflate {
    /// 0 (stored) … 9, as `--deflate` and HDF5's `H5Pset_deflate` take it.
    public let level: Int
    private let compressor: OpaquePointer
    /// Output buffer, reused between calls (no allocation in steady state).
    public private(set) var output: [UInt8] = []

    public init(level: Int) {
        self.level = max(0, min(9, level))
        // Only allocation failure makes this nil; there is nothing sensible to continue with.
        guard let compressor = libdeflate_alloc_compressor(Int32(self.level)) else {
            fatalError("libdeflate could not allocate a compressor (out of memory)")
        }
        self.compressor = compressor
    }

    deinit {
        libdeflate_free_compressor(compressor)
    }

    /// Compresses `input`; the result is `output[0..<returned count]`.
    public func compress(_ input: UnsafeRawBufferPointer) -> Int {
        let bound = libdeflate_zlib_compress_bound(compressor, input.count)
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let capacity = output.count
        let written = output.withUnsafeMutableBytes { out in
            libdeflate_zlib_compress(compressor, input.baseAddress, input.count, out.baseAddress, capacity)
        }
        // Zero only when the output does not fit, which the bound rules out.
        precondition(written > 0, "libdeflate: output larger than its own bound")
        return written
    }
}

/// One per thread: the compressor and its output buffer are not shared.
@available(*, unavailable)
extension Deflate: Sendable {}
