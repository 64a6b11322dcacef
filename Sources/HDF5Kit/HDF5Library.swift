import HDF5Shim

/// Facts about the linked HDF5 library.
public enum HDF5Library {
    /// "major.minor.release" of the HDF5 library vcolor runs against.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        HDF5Lock.run { _ = H5get_libversion(&major, &minor, &release) }
        return "\(major).\(minor).\(release)"
    }
}
