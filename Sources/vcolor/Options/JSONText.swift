import Foundation

/// JSON for stdout with sorted keys, so scripts and diffs see a stable order.
enum JSONText {
    static func sorted<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
