/// Data preparation: any video → HDF5 shards of lab8 frame sequences (docs/format.md §Shards).
///
/// Pipeline (see `Prep`): `InputScanner` expands the command line into inputs;
/// several workers each run one `FrameReader` (ffmpeg on a pipe) →
/// `Lab8Converter` → `SceneCutDetector` → `SequenceSplitter`; one `ShardWriter`
/// thread owns the HDF5 files and `DatasetIndex`. Readers use `DatasetIndex` and
/// `ShardReader`.
public enum DataPrep {
    public static let shardFormat = "vcolor-shard"
    public static let shardVersion = 1
    public static let datasetFormat = "vcolor-dataset"
    public static let datasetVersion = 1
    public static let encoding = "lab8"
    public static let indexFileName = "index.json"
}
