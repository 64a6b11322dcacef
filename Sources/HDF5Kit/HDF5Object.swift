import HDF5Shim

/// An open HDF5 object (file root, group or dataset): its id, where it lives, and
/// its attributes. Closed exactly once, by `close()` or when released.
public class HDF5Object {
    enum Kind { case group, dataset }

    /// The HDF5 id; valid until `close()`.
    let id: hid_t
    let kind: Kind
    /// The file this object lives in (as given to create/open).
    public let filePath: String
    /// The object's absolute path inside the file ("/" for the root group).
    public let name: String
    private var isOpen = true

    init(id: hid_t, kind: Kind, filePath: String, name: String) {
        self.id = id
        self.kind = kind
        self.filePath = filePath
        self.name = name
    }

    deinit { closeQuietly() }

    /// "file.h5:/group/name", the location used in error messages.
    public var location: String { "\(filePath):\(name)" }

    /// Releases the object's id. Safe to call more than once; after its file was
    /// closed the id is already gone and this does nothing.
    public func close() {
        closeQuietly()
    }

    private func closeQuietly() {
        HDF5Lock.run {
            guard isOpen else { return }
            isOpen = false
            guard H5Iis_valid(id) > 0 else { return }
            switch kind {
            case .group: _ = H5Gclose(id)
            case .dataset: _ = H5Dclose(id)
            }
            vc_h5e_clear()
        }
    }

    /// The absolute path of `child` below this object.
    func childPath(_ child: String) -> String {
        if child.hasPrefix("/") { return child }
        return name == "/" ? "/" + child : name + "/" + child
    }

    func error(_ message: String, _ object: String? = nil) -> HDF5Error {
        let where_ = object.map { "\(filePath):\(childPath($0))" } ?? location
        return HDF5Error.fromStack(path: where_, message: message)
    }

    // MARK: attributes

    /// Names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        try HDF5Lock.run {
            try NameCollector.collect(orThrow: error("cannot list attributes")) { index, box in
                H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { NameCollector.add($1, to: $3) }, box)
            }
        }
    }

    public func hasAttribute(_ name: String) -> Bool {
        HDF5Lock.run {
            let exists = H5Aexists(id, name)
            vc_h5e_clear()
            return exists > 0
        }
    }

    /// Sets (creating or replacing) a scalar 64-bit integer attribute.
    public func setAttribute(_ name: String, _ value: Int) throws {
        try withUnsafePointer(to: Int64(value)) {
            try writeScalarAttribute(name, fileType: vc_h5t_std_i64le(), memType: vc_h5t_native_int64(), $0)
        }
    }

    /// Sets (creating or replacing) a scalar double attribute.
    public func setAttribute(_ name: String, _ value: Double) throws {
        try withUnsafePointer(to: value) {
            try writeScalarAttribute(name, fileType: vc_h5t_ieee_f64le(), memType: vc_h5t_native_double(), $0)
        }
    }

    /// Sets (creating or replacing) a scalar string attribute, stored as a
    /// variable-length UTF-8 string (h5py reads it as `str`); any length works,
    /// so long JSON documents fit.
    public func setAttribute(_ name: String, _ value: String) throws {
        try HDF5Lock.run {
            let type = H5Tcopy(vc_h5t_c_s1())
            defer { H5Tclose(type) }
            H5Tset_size(type, vc_h5t_variable())
            H5Tset_cset(type, H5T_CSET_UTF8)
            try value.withCString { cString in
                try withUnsafePointer(to: cString) {
                    try writeScalarAttribute(name, fileType: type, memType: type, $0)
                }
            }
        }
    }

    /// Sets (creating or replacing) a 1-D 64-bit integer array attribute (e.g. an
    /// RNG state; store UInt64 words with `Int(bitPattern:)`).
    public func setAttribute(_ name: String, _ values: [Int]) throws {
        try values.map { Int64($0) }.withUnsafeBytes {
            try writeArrayAttribute(name, count: values.count, fileType: vc_h5t_std_i64le(), memType: vc_h5t_native_int64(), $0.baseAddress!)
        }
    }

    /// Sets (creating or replacing) a 1-D double array attribute.
    public func setAttribute(_ name: String, _ values: [Double]) throws {
        try values.withUnsafeBytes {
            try writeArrayAttribute(name, count: values.count, fileType: vc_h5t_ieee_f64le(), memType: vc_h5t_native_double(), $0.baseAddress!)
        }
    }

    private func writeArrayAttribute(_ name: String, count: Int, fileType: hid_t, memType: hid_t, _ values: UnsafeRawPointer) throws {
        try HDF5Lock.run {
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            var dims = [hsize_t(count)]
            let space = H5Screate_simple(1, &dims, nil)
            defer { H5Sclose(space) }
            let attr = H5Acreate2(id, name, fileType, space, vc_h5p_default(), vc_h5p_default())
            if attr < 0 { throw error("cannot create attribute '\(name)'") }
            defer { H5Aclose(attr) }
            if H5Awrite(attr, memType, values) < 0 { throw error("cannot write attribute '\(name)'") }
        }
    }

    private func writeScalarAttribute(_ name: String, fileType: hid_t, memType: hid_t, _ value: UnsafeRawPointer) throws {
        try HDF5Lock.run {
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            let space = H5Screate(H5S_SCALAR)
            defer { H5Sclose(space) }
            let attr = H5Acreate2(id, name, fileType, space, vc_h5p_default(), vc_h5p_default())
            if attr < 0 { throw error("cannot create attribute '\(name)'") }
            defer { H5Aclose(attr) }
            if H5Awrite(attr, memType, value) < 0 { throw error("cannot write attribute '\(name)'") }
        }
    }

    /// Reads any attribute as a value: integers, floats (scalar or 1-D) and strings.
    public func attribute(_ name: String) throws -> HDF5AttributeValue {
        try HDF5Lock.run {
            let attr = H5Aopen(id, name, vc_h5p_default())
            if attr < 0 { throw error("no attribute '\(name)'") }
            defer { H5Aclose(attr) }
            let type = H5Aget_type(attr)
            defer { H5Tclose(type) }
            let space = H5Aget_space(attr)
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            let typeClass = H5Tget_class(type)
            switch typeClass {
            case H5T_INTEGER:
                var values = [Int64](repeating: 0, count: max(count, 1))
                if H5Aread(attr, vc_h5t_native_int64(), &values) < 0 { throw error("cannot read attribute '\(name)'") }
                return count == 1 ? .int(Int(values[0])) : .ints(values.map { Int($0) })
            case H5T_FLOAT:
                var values = [Double](repeating: 0, count: max(count, 1))
                if H5Aread(attr, vc_h5t_native_double(), &values) < 0 { throw error("cannot read attribute '\(name)'") }
                return count == 1 ? .double(values[0]) : .doubles(values)
            case H5T_STRING:
                guard count == 1 else { return .unsupported("array of \(count) strings") }
                return .string(try readStringAttribute(attr, type: type, name: name))
            default:
                return .unsupported("HDF5 type class \(typeClass.rawValue)")
            }
        }
    }

    private func readStringAttribute(_ attr: hid_t, type: hid_t, name: String) throws -> String {
        if H5Tis_variable_str(type) > 0 {
            let memType = H5Tcopy(vc_h5t_c_s1())
            defer { H5Tclose(memType) }
            H5Tset_size(memType, vc_h5t_variable())
            H5Tset_cset(memType, H5Tget_cset(type))
            var pointer: UnsafeMutablePointer<CChar>? = nil
            if H5Aread(attr, memType, &pointer) < 0 { throw error("cannot read attribute '\(name)'") }
            guard let pointer else { return "" }
            defer { H5free_memory(pointer) }
            return String(cString: pointer)
        }
        let size = H5Tget_size(type)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        if H5Aread(attr, type, &bytes) < 0 { throw error("cannot read attribute '\(name)'") }
        let end = bytes.firstIndex(of: 0) ?? size
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    public func intAttribute(_ name: String) throws -> Int {
        guard case .int(let v) = try attribute(name) else {
            throw HDF5Error(path: location, message: "attribute '\(name)' is not an integer")
        }
        return v
    }

    /// A float attribute (an integer attribute is converted).
    public func doubleAttribute(_ name: String) throws -> Double {
        switch try attribute(name) {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: throw HDF5Error(path: location, message: "attribute '\(name)' is not a number")
        }
    }

    public func stringAttribute(_ name: String) throws -> String {
        guard case .string(let v) = try attribute(name) else {
            throw HDF5Error(path: location, message: "attribute '\(name)' is not a string")
        }
        return v
    }
}

/// An attribute's value as read back.
public enum HDF5AttributeValue: Equatable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case ints([Int])
    case doubles([Double])
    /// A type HDF5Kit does not decode (compound, enum, …), described.
    case unsupported(String)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .doubles(let v): return "[" + v.map { String($0) }.joined(separator: ", ") + "]"
        case .unsupported(let v): return "<\(v)>"
        }
    }
}

/// Gathers the names an HDF5 iteration (`H5Literate`, `H5Aiterate2`) reports
/// through its C callback, which cannot capture Swift state: the collector
/// travels as the callback's opaque data pointer.
final class NameCollector {
    private var names: [String] = []

    /// Runs `iterate` with a fresh index and the collector's opaque pointer
    /// (to hand to the C call as its data) and returns the names in the order
    /// reported; throws `failure` when the C call returns a negative status.
    static func collect(orThrow failure: @autoclosure () -> HDF5Error,
                        _ iterate: (inout hsize_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        let box = NameCollector()
        var index: hsize_t = 0
        let status = withExtendedLifetime(box) { iterate(&index, Unmanaged.passUnretained(box).toOpaque()) }
        if status < 0 { throw failure() }
        return box.names
    }

    /// The body of every iteration callback: appends `name` to the collector behind `data`.
    static func add(_ name: UnsafePointer<CChar>?, to data: UnsafeMutableRawPointer?) -> herr_t {
        Unmanaged<NameCollector>.fromOpaque(data!).takeUnretainedValue().names.append(String(cString: name!))
        return 0
    }
}
