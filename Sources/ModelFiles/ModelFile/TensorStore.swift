/// How one format keeps a model's tensors: the only part of reading a model
/// file that differs between a checkpoint (`CheckpointStore`) and a
/// safetensors file (`SafeTensorsStore`); an ONNX reader would be one more.
/// Everything else is written once for every format on top of these
/// requirements: the checks, the one error listing what does not match and
/// the refusal of NaN (`fill`), the configuration (`configuration`); and
/// `ModelFile` decides what a load asks for.
protocol TensorStore: AnyObject {
    /// The file, for messages.
    var path: String { get }
    /// The configuration JSON the file carries (the checkpoint's `configuration`
    /// attribute, safetensors' `__metadata__["config"]`), nil when it has none.
    var storedConfiguration: String? { get }
    /// The state a run resumes from; nil in a weights-only file.
    var training: TrainingState? { get }

    /// What `group` holds, by name within the group; nil when the file has no
    /// such group. Cheap to ask again (listed once).
    func tensors(in group: TensorGroup) throws -> [String: StoredTensor]?
    /// How messages name a group or (with `name`) one of its tensors: as the file addresses it.
    func address(_ group: TensorGroup, _ name: String?) -> String
    /// Copies a float32 tensor whose shape was checked against `values.count`.
    func read(_ name: String, in group: TensorGroup, into values: UnsafeMutableBufferPointer<Float>) throws
    /// Releases the file (a no-op for a format read whole).
    func close()
}

/// A tensor as a file describes it, before any value is read.
struct StoredTensor: Equatable {
    var shape: [Int]
    /// The element type in the format's own words ("float32", "I64").
    var dtype: String
    var isFloat32: Bool
}
