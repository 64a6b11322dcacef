import HDF5Shim

/// An n-dimensional dataset. Reads and writes whole datasets or hyperslabs
/// (`start`/`count` boxes), and whole pre-compressed chunks.
public final class HDF5Dataset: HDF5Object {
    /// The current extent.
    public func shape() throws -> [Int] {
        try HDF5Lock.run {
            let space = H5Dget_space(id)
            if space < 0 { throw error("cannot get dataspace") }
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            if rank < 0 { throw error("cannot get the rank of the dataspace") }
            var dims = [hsize_t](repeating: 0, count: max(rank, 1))
            if H5Sget_simple_extent_dims(space, &dims, nil) < 0 { throw error("cannot get the dataspace's extent") }
            return try dims.prefix(rank).map {
                // HDF5 sizes are unsigned 64-bit; a damaged file can hold one no Int holds.
                guard let size = Int(exactly: $0) else { throw HDF5Error(path: location, message: "dimension \($0) is too large") }
                return size
            }
        }
    }

    /// The chunk shape, or nil for contiguous storage.
    public func chunkShape() throws -> [Int]? {
        try HDF5Lock.run {
            let dcpl = H5Dget_create_plist(id)
            if dcpl < 0 { throw error("cannot get creation properties") }
            defer { H5Pclose(dcpl) }
            guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
            var dims = [hsize_t](repeating: 0, count: 32)
            let rank = H5Pget_chunk(dcpl, 32, &dims)
            if rank < 0 { throw error("cannot get the chunk shape") }
            return dims.prefix(Int(rank)).map { Int(clamping: $0) }
        }
    }

    /// Names of the filters applied to each chunk, e.g. ["deflate"].
    public func filters() throws -> [String] {
        try HDF5Lock.run {
            let dcpl = H5Dget_create_plist(id)
            if dcpl < 0 { throw error("cannot get creation properties") }
            defer { H5Pclose(dcpl) }
            let filterCount = H5Pget_nfilters(dcpl)
            if filterCount < 0 { throw error("cannot list filters") }
            var names: [String] = []
            for index in 0..<filterCount {
                var flags: UInt32 = 0
                var count = 0
                var values = [UInt32](repeating: 0, count: 8)
                var name = [CChar](repeating: 0, count: 64)
                var config: UInt32 = 0
                count = values.count
                let filter = H5Pget_filter2(dcpl, UInt32(index), &flags, &count, &values, 64, &name, &config)
                names.append(filter == H5Z_FILTER_DEFLATE ? "deflate" : String(cString: name))
            }
            return names
        }
    }

    /// A short description of the stored element type, e.g. "uint8", "float32".
    public func typeDescription() throws -> String {
        try HDF5Lock.run {
            let type = H5Dget_type(id)
            if type < 0 { throw error("cannot get type") }
            defer { H5Tclose(type) }
            let size = H5Tget_size(type)
            switch H5Tget_class(type) {
            case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + String(size * 8)
            case H5T_FLOAT: return "float" + String(size * 8)
            case H5T_STRING: return "string"
            default: return "other(\(size) bytes)"
            }
        }
    }

    /// Bytes the dataset occupies in the file (after compression).
    public func storageSize() -> Int {
        HDF5Lock.run { Int(H5Dget_storage_size(id)) }
    }

    /// Changes the extent of a growable dataset.
    public func setExtent(_ shape: [Int]) throws {
        try HDF5Lock.run {
            var dims = shape.map { hsize_t($0) }
            if H5Dset_extent(id, &dims) < 0 { throw error("cannot resize to \(shape)") }
        }
    }

    /// Selects the box `start`/`count` of the file space (the whole space if nil)
    /// and runs `body(memorySpace, fileSpace)`.
    private func withSelection<R>(start: [Int]?, count: [Int]?, elements: Int,
                                  _ body: (hid_t, hid_t) throws -> R) throws -> R {
        try HDF5Lock.run {
            let fileSpace = H5Dget_space(id)
            if fileSpace < 0 { throw error("cannot get dataspace") }
            defer { H5Sclose(fileSpace) }
            var needed = Int(H5Sget_simple_extent_npoints(fileSpace))
            if let start, let count {
                var s = start.map { hsize_t($0) }
                var c = count.map { hsize_t($0) }
                if H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &s, nil, &c, nil) < 0 {
                    throw error("bad selection start \(start) count \(count)")
                }
                if H5Sselect_valid(fileSpace) <= 0 {
                    vc_h5e_clear()
                    throw HDF5Error(path: location, message: "selection start \(start) count \(count) is outside the dataset")
                }
                needed = count.reduce(1, *)
            }
            guard elements == needed else {
                throw HDF5Error(path: location, message: "buffer holds \(elements) elements, selection needs \(needed)")
            }
            var memDims = [hsize_t(needed)]
            let memSpace = H5Screate_simple(1, &memDims, nil)
            defer { H5Sclose(memSpace) }
            return try body(memSpace, fileSpace)
        }
    }

    /// Writes `values` to the whole dataset, or to the box `start`/`count`.
    public func write<T: HDF5Scalar>(_ values: UnsafeBufferPointer<T>, start: [Int]? = nil, count: [Int]? = nil) throws {
        try withSelection(start: start, count: count, elements: values.count) { memSpace, fileSpace in
            if H5Dwrite(id, T.nativeType, memSpace, fileSpace, vc_h5p_default(), values.baseAddress) < 0 {
                throw error("cannot write")
            }
        }
    }

    /// Reads the whole dataset, or the box `start`/`count`, into `buffer`.
    public func read<T: HDF5Scalar>(into buffer: UnsafeMutableBufferPointer<T>, start: [Int]? = nil, count: [Int]? = nil) throws {
        try withSelection(start: start, count: count, elements: buffer.count) { memSpace, fileSpace in
            if H5Dread(id, T.nativeType, memSpace, fileSpace, vc_h5p_default(), buffer.baseAddress) < 0 {
                throw error("cannot read (corrupt or truncated data?)")
            }
        }
    }

    /// Stores one chunk exactly as given (already passed through the dataset's
    /// filters, e.g. zlib-compressed by `Deflate`), at chunk-aligned `offset`.
    /// Lets callers compress on many threads while one thread writes.
    public func writeChunk(_ bytes: UnsafeRawBufferPointer, offset: [Int], filterMask: UInt32 = 0) throws {
        try HDF5Lock.run {
            var o = offset.map { hsize_t($0) }
            if H5Dwrite_chunk(id, vc_h5p_default(), filterMask, &o, bytes.count, bytes.baseAddress) < 0 {
                throw error("cannot write chunk at \(offset)")
            }
        }
    }
}
