import Foundation
import HDF5Shim

/// An open HDF5 file. `root` is its "/" group; `close()` closes the file and every
/// object still open in it (strong close degree), so a closed file can be renamed.
public final class HDF5File {
    public let path: String
    private let id: hid_t
    /// The root group "/".
    public let root: HDF5Group
    private var isOpen = true

    private init(id: hid_t, path: String) throws {
        self.id = id
        self.path = path
        let group = HDF5Lock.run { H5Gopen2(id, "/", vc_h5p_default()) }
        if group < 0 {
            HDF5Lock.run { _ = H5Fclose(id) }
            throw HDF5Lock.run { HDF5Error.fromStack(path: path, message: "cannot open the root group") }
        }
        root = HDF5Group(id: group, kind: .group, filePath: path, name: "/")
    }

    deinit { try? close() }

    /// File-access properties: close every open object with the file.
    private static func accessList() -> hid_t {
        let fapl = H5Pcreate(vc_h5p_file_access())
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
        return fapl
    }

    /// Creates (or truncates) the file at `path`.
    public static func create(_ path: String) throws -> HDF5File {
        let id: hid_t = try HDF5Lock.run {
            let fapl = accessList()
            defer { H5Pclose(fapl) }
            let id = H5Fcreate(path, vc_h5f_acc_trunc(), vc_h5p_default(), fapl)
            if id < 0 { throw HDF5Error.fromStack(path: path, message: "cannot create HDF5 file") }
            return id
        }
        return try HDF5File(id: id, path: path)
    }

    /// Opens an existing file. A missing file, a file that is not HDF5, and a
    /// truncated or corrupt HDF5 file each give one clear error naming the path.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5Error(path: path, message: "no such file")
        }
        if isDirectory.boolValue { throw HDF5Error(path: path, message: "is a directory, not an HDF5 file") }
        let id: hid_t = try HDF5Lock.run {
            let isHDF5 = H5Fis_hdf5(path)
            if isHDF5 == 0 {
                vc_h5e_clear()
                throw HDF5Error(path: path, message: "not an HDF5 file")
            }
            if isHDF5 < 0 { throw HDF5Error.fromStack(path: path, message: "cannot read file") }
            let fapl = accessList()
            defer { H5Pclose(fapl) }
            let id = H5Fopen(path, writable ? vc_h5f_acc_rdwr() : vc_h5f_acc_rdonly(), fapl)
            if id < 0 {
                throw HDF5Error.fromStack(path: path, message: "cannot open HDF5 file (truncated or corrupt?)")
            }
            return id
        }
        return try HDF5File(id: id, path: path)
    }

    /// True when `path` is a readable file with an HDF5 signature.
    public static func isHDF5(_ path: String) -> Bool {
        HDF5Lock.run {
            let result = H5Fis_hdf5(path)
            vc_h5e_clear()
            return result > 0
        }
    }

    /// Size of the file in bytes, as HDF5 will write it.
    public func size() throws -> Int {
        try HDF5Lock.run {
            var size: hsize_t = 0
            if H5Fget_filesize(id, &size) < 0 { throw HDF5Error.fromStack(path: path, message: "cannot get file size") }
            return Int(size)
        }
    }

    /// Writes buffered data to disk (the file stays open).
    public func flush() throws {
        try HDF5Lock.run {
            if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 { throw HDF5Error.fromStack(path: path, message: "cannot flush") }
        }
    }

    /// Closes the file and all objects opened from it. Safe to call twice.
    public func close() throws {
        try HDF5Lock.run {
            guard isOpen else { return }
            isOpen = false
            root.close()
            if H5Fclose(id) < 0 { throw HDF5Error.fromStack(path: path, message: "cannot close HDF5 file") }
        }
    }
}
