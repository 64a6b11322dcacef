import HDF5Kit

/// Data preparation: decoding, CIELAB, scene cuts, shards. (Filled by the DataPrep issue.)
public enum DataPrep {
    public static let shardFormat = "vcolor-shard"
    public static let shardVersion = 1
}
