import HDF5Shim

/// zlib compression in the exact stream format of HDF5's deflate filter, so
/// chunks compressed here (on any thread, without the HDF5 lock) can be stored
/// with `HDF5Dataset.writeChunk` and read back by any HDF5 reader.
public struct Deflate {
    public let level: Int32
    /// Output buffer, reused between calls (no allocation in steady state).
    public private(set) var output: [UInt8] = []

    public init(level: Int) {
        self.level = Int32(max(0, min(9, level)))
    }

    /// Compresses `input`; the result is `output[0..<returned count]`.
    public mutating func compress(_ input: UnsafeRawBufferPointer) -> Int {
        let bound = Int(compressBound(uLong(input.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        var length = uLongf(output.count)
        let status = output.withUnsafeMutableBufferPointer { out in
            compress2(out.baseAddress, &length, input.bindMemory(to: Bytef.self).baseAddress, uLong(input.count), level)
        }
        precondition(status == Z_OK, "zlib compress2 failed with enough output space (\(status))")
        return Int(length)
    }
}
