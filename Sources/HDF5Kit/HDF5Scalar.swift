import HDF5Shim

/// Element types HDF5Kit reads and writes: the in-memory (native) HDF5 type and the
/// little-endian type stored in new files.
public protocol HDF5Scalar {
    static var nativeType: hid_t { get }
    static var fileType: hid_t { get }
}

extension Float: HDF5Scalar {
    public static var nativeType: hid_t { vc_h5t_native_float() }
    public static var fileType: hid_t { vc_h5t_ieee_f32le() }
}

extension Double: HDF5Scalar {
    public static var nativeType: hid_t { vc_h5t_native_double() }
    public static var fileType: hid_t { vc_h5t_ieee_f64le() }
}

extension UInt8: HDF5Scalar {
    public static var nativeType: hid_t { vc_h5t_native_uint8() }
    public static var fileType: hid_t { vc_h5t_std_u8le() }
}

extension Int64: HDF5Scalar {
    public static var nativeType: hid_t { vc_h5t_native_int64() }
    public static var fileType: hid_t { vc_h5t_std_i64le() }
}
