import HDF5Kit

/// A checkpoint opened for reading: the header read and checked at once, each
/// group's datasets listed when asked for, values read with their checksums.
final class CheckpointStore: TensorStore {
    let path: String
    let storedConfiguration: String?
    let training: TrainingState?
    private let file: HDF5File
    /// Each group's datasets, listed once.
    private var listed: [TensorGroup: [String: StoredTensor]?] = [:]

    init(_ path: String) throws {
        self.path = path
        do {
            file = try HDF5File.open(path)
        } catch let error as HDF5Error {
            throw ModelFileError("\(path): not a readable checkpoint: \(Self.words(error))")
        }
        do {
            (storedConfiguration, training) = try CheckpointHeader.read(file.root, path: path)
        } catch {
            try? file.close()
            throw error
        }
    }

    /// Every dataset below the group, named by its path within it
    /// (`down1.conv.weight`, `down1.conv.weight/m`).
    func tensors(in group: TensorGroup) throws -> [String: StoredTensor]? {
        if let known = listed[group] { return known }
        let found = file.root.kind(of: group.path) == .group ? try corruptIfFails { try index(group) } : nil
        listed[group] = found
        return found
    }

    private func index(_ group: TensorGroup) throws -> [String: StoredTensor] {
        var found: [String: StoredTensor] = [:]
        func walk(_ g: HDF5Group, _ prefix: String) throws {
            for (name, kind) in try g.children() {
                switch kind {
                case .dataset:
                    let dataset = try g.openDataset(name)
                    defer { dataset.close() }
                    let type = try dataset.typeDescription()
                    found[prefix + name] = StoredTensor(shape: try dataset.shape(), dtype: type, isFloat32: type == "float32")
                case .group:
                    let child = try g.openGroup(name)
                    defer { child.close() }
                    try walk(child, prefix + name + "/")
                case .other:
                    continue
                }
            }
        }
        let root = try file.root.openGroup(group.path)
        defer { root.close() }
        try walk(root, "")
        return found
    }

    func address(_ group: TensorGroup, _ name: String?) -> String {
        "/" + group.path + (name.map { "/" + $0 } ?? "")
    }

    func read(_ name: String, in group: TensorGroup, into values: UnsafeMutableBufferPointer<Float>) throws {
        let dataset = try corruptIfFails { try file.root.openDataset(group.path + "/" + name) }
        defer { dataset.close() }
        try corruptIfFails { try dataset.read(into: values) }
        if dataset.hasAttribute("checksum") {
            let stored = UInt64(UInt(bitPattern: try corruptIfFails { try dataset.intAttribute("checksum") }))
            guard stored == TensorChecksum.of(UnsafeBufferPointer(values)) else {
                throw ModelFileError("\(dataset.location): corrupt checkpoint: the values do not match their checksum")
            }
        }
    }

    func close() { try? file.close() }

    /// HDF5's message without the path it names (the message names it first).
    private static func words(_ error: HDF5Error) -> String {
        error.message + (error.reason.isEmpty ? "" : " (\(error.reason))")
    }

    /// HDF5's failures inside a file whose header was readable mean a damaged file.
    private func corruptIfFails<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as HDF5Error {
            throw ModelFileError("\(error.path): corrupt checkpoint: \(Self.words(error))")
        }
    }
}
