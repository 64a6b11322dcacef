import HDF5Shim

/// What a link in a group points at.
public enum HDF5ObjectKind: String, Codable {
    case group, dataset, other
}

/// A group: creates and opens child groups and datasets by relative path
/// ("a/b/c"), creating intermediate groups on the way.
public final class HDF5Group: HDF5Object {
    /// Link-creation properties that create missing intermediate groups.
    private static func linkCreateList() -> hid_t {
        let lcpl = H5Pcreate(vc_h5p_link_create())
        H5Pset_create_intermediate_group(lcpl, 1)
        return lcpl
    }

    /// Creates a group (and any missing groups above it).
    public func createGroup(_ path: String) throws -> HDF5Group {
        try HDF5Lock.run {
            let lcpl = Self.linkCreateList()
            defer { H5Pclose(lcpl) }
            let gid = H5Gcreate2(id, path, lcpl, vc_h5p_default(), vc_h5p_default())
            if gid < 0 { throw error("cannot create group", path) }
            return HDF5Group(id: gid, kind: .group, filePath: filePath, name: childPath(path))
        }
    }

    public func openGroup(_ path: String) throws -> HDF5Group {
        try HDF5Lock.run {
            HDF5Group(id: try openChild(path, .group), kind: .group, filePath: filePath, name: childPath(path))
        }
    }

    /// The id of the existing group or dataset at `path`; a missing one is
    /// named in the error rather than left to HDF5's error stack.
    private func openChild(_ path: String, _ kind: Kind) throws -> hid_t {
        guard exists(path) else { throw HDF5Error(path: "\(filePath):\(childPath(path))", message: "no such \(kind)") }
        let child = switch kind {
        case .group: H5Gopen2(id, path, vc_h5p_default())
        case .dataset: H5Dopen2(id, path, vc_h5p_default())
        }
        if child < 0 { throw error("cannot open \(kind)", path) }
        return child
    }

    /// Opens the group at `path`, creating it if it is missing.
    public func group(_ path: String) throws -> HDF5Group {
        exists(path) ? try openGroup(path) : try createGroup(path)
    }

    /// True when every component of the relative `path` exists.
    public func exists(_ path: String) -> Bool {
        HDF5Lock.run {
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += prefix.isEmpty ? String(component) : "/" + component
                let exists = H5Lexists(id, prefix, vc_h5p_default())
                if exists <= 0 { vc_h5e_clear(); return false }
            }
            return !prefix.isEmpty
        }
    }

    /// The kind of object at `path` (nil if nothing is there).
    public func kind(of path: String) -> HDF5ObjectKind? {
        HDF5Lock.run {
            guard exists(path) else { return nil }
            let oid = H5Oopen(id, path, vc_h5p_default())
            if oid < 0 { vc_h5e_clear(); return .other }
            defer { H5Oclose(oid) }
            switch H5Iget_type(oid) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// The names of this group's members, in name order.
    public func childNames() throws -> [String] {
        try HDF5Lock.run {
            try NameCollector.collect(orThrow: error("cannot list group")) { index, box in
                H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, &index, { NameCollector.add($1, to: $3) }, box)
            }
        }
    }

    /// The group's members with their kinds, in name order.
    public func children() throws -> [(name: String, kind: HDF5ObjectKind)] {
        try childNames().map { ($0, kind(of: $0) ?? .other) }
    }

    // MARK: datasets

    /// Creates a dataset of `T` with `shape`. `maxShape` entries of nil are
    /// unlimited (the dataset can grow along them with `setExtent`); growable
    /// datasets need `chunk`. `deflate` (0…9) compresses each chunk with zlib.
    public func createDataset<T: HDF5Scalar>(
        _ path: String, of type: T.Type, shape: [Int], maxShape: [Int?]? = nil,
        chunk: [Int]? = nil, deflate: Int? = nil
    ) throws -> HDF5Dataset {
        try HDF5Lock.run {
            let where_ = "\(filePath):\(childPath(path))"
            if let maxShape, maxShape.count != shape.count {
                throw HDF5Error(path: where_, message: "maxShape has \(maxShape.count) dimensions, shape \(shape.count)")
            }
            if let chunk, chunk.count != shape.count {
                throw HDF5Error(path: where_, message: "chunk has \(chunk.count) dimensions, shape \(shape.count)")
            }
            var dims = shape.map { hsize_t($0) }
            var maxDims = (maxShape ?? shape.map { $0 }).map { $0.map { hsize_t($0) } ?? vc_h5s_unlimited() }
            let space = H5Screate_simple(Int32(dims.count), &dims, &maxDims)
            if space < 0 { throw error("cannot create dataspace \(shape)", path) }
            defer { H5Sclose(space) }
            let dcpl = H5Pcreate(vc_h5p_dataset_create())
            defer { H5Pclose(dcpl) }
            if var chunkDims = chunk?.map({ hsize_t($0) }) {
                if H5Pset_chunk(dcpl, Int32(chunkDims.count), &chunkDims) < 0 { throw error("bad chunk shape \(chunk!)", path) }
                // Every chunk is written in full, so skip writing fill values first.
                H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER)
                if let deflate { H5Pset_deflate(dcpl, UInt32(deflate)) }
            } else if deflate != nil {
                throw HDF5Error(path: where_, message: "compression needs a chunked dataset")
            }
            let lcpl = Self.linkCreateList()
            defer { H5Pclose(lcpl) }
            let did = H5Dcreate2(id, path, T.fileType, space, lcpl, dcpl, vc_h5p_default())
            if did < 0 { throw error("cannot create dataset", path) }
            return HDF5Dataset(id: did, kind: .dataset, filePath: filePath, name: childPath(path))
        }
    }

    public func openDataset(_ path: String) throws -> HDF5Dataset {
        try HDF5Lock.run {
            HDF5Dataset(id: try openChild(path, .dataset), kind: .dataset, filePath: filePath, name: childPath(path))
        }
    }

    /// Writes a whole, unchunked dataset in one call (e.g. a checkpoint tensor).
    public func write<T: HDF5Scalar>(_ path: String, shape: [Int], values: UnsafeBufferPointer<T>) throws {
        let count = shape.reduce(1, *)
        guard values.count == count else {
            throw HDF5Error(path: "\(filePath):\(childPath(path))", message: "shape \(shape) needs \(count) values, got \(values.count)")
        }
        let dataset = try createDataset(path, of: T.self, shape: shape)
        defer { dataset.close() }
        try dataset.write(values)
    }

    public func write<T: HDF5Scalar>(_ path: String, shape: [Int], values: [T]) throws {
        try values.withUnsafeBufferPointer { try write(path, shape: shape, values: $0) }
    }

    /// Reads a whole dataset, converting to `T`.
    public func read<T: HDF5Scalar & Numeric>(_ path: String, as type: T.Type) throws -> (shape: [Int], values: [T]) {
        let dataset = try openDataset(path)
        defer { dataset.close() }
        let shape = try dataset.shape()
        var values = [T](repeating: 0, count: shape.reduce(1, *))
        try values.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
        return (shape, values)
    }
}
