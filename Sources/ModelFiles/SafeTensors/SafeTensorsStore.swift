import Foundation

/// A safetensors file opened as a model file: read whole and validated by
/// `SafeTensors`, its one flat namespace split into the generator's and the
/// discriminator's tensors by name. It holds weights only: no moments, no
/// training state.
final class SafeTensorsStore: TensorStore {
    /// The key of our configuration in a safetensors file's `__metadata__`.
    static let configKey = "config"

    let file: SafeTensors
    let path: String
    var storedConfiguration: String? { file.metadata[Self.configKey] }
    var training: TrainingState? { nil }
    private let groups: [TensorGroup: [String: StoredTensor]]

    init(_ path: String) throws {
        self.path = path
        do { file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelFileError(String(describing: error))
        }
        var groups: [TensorGroup: [String: StoredTensor]] = [:]
        for name in file.names {
            guard let info = file.info(name) else { continue }
            groups[TensorGroup.network(ofFlatName: name), default: [:]][name] =
                StoredTensor(shape: info.shape, dtype: info.dtype, isFloat32: info.dtype == "F32")
        }
        self.groups = groups
    }

    func tensors(in group: TensorGroup) -> [String: StoredTensor]? { groups[group] }

    func address(_ group: TensorGroup, _ name: String?) -> String {
        name ?? "the \(group)"
    }

    func read(_ name: String, in group: TensorGroup, into values: UnsafeMutableBufferPointer<Float>) throws {
        guard let start = values.baseAddress else { return }
        do { try file.copy(name, into: start, count: values.count) } catch {
            throw ModelFileError(String(describing: error))
        }
    }

    func close() {}
}
