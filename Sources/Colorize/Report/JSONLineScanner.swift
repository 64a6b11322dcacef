import Foundation
import Storage

/// Reads the top-level numbers and strings of one flat JSON object (a line of
/// metrics.jsonl) without building a dictionary: one pass records where each
/// top-level key's value starts; nested arrays and objects are skipped. The
/// report reads a 100,000-step log in a fraction of a second this way.
struct JSONLineScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Per top-level key: the key's bytes (between its quotes) and where its value starts.
    private var keys: [(key: Range<Int>, value: Int)] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        keys.reserveCapacity(16)
        var depth = 0, i = 0
        var lastString: Range<Int>?
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let start = i + 1
                i = start
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                lastString = start..<min(i, bytes.count)
            } else if c == UInt8(ascii: ":") {
                if depth == 1, let key = lastString {
                    var v = i + 1
                    while v < bytes.count && bytes[v] == UInt8(ascii: " ") { v += 1 }
                    keys.append((key, v))
                }
                lastString = nil
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
            } else if c == UInt8(ascii: ",") {
                lastString = nil
            }
            i += 1
        }
    }

    /// The number after top-level `"key":`, nil when absent or not a finite number.
    func number(_ key: MetricsLog.Key) -> Double? {
        guard let start = valueStart(key) else { return nil }
        var end = start
        while end < bytes.count, Self.isNumberByte(bytes[end]) { end += 1 }
        guard end > start, end - start < 64 else { return nil }
        var text = [CChar](repeating: 0, count: end - start + 1)
        for k in start..<end { text[k - start] = CChar(bitPattern: bytes[k]) }
        return text.withUnsafeMutableBufferPointer { p -> Double? in
            var stop: UnsafeMutablePointer<CChar>?
            let v = strtod(p.baseAddress!, &stop)
            return stop == p.baseAddress! + (end - start) && v.isFinite ? v : nil
        }
    }

    /// The string after top-level `"key":` (nil if it has escapes; event names have none).
    func string(_ key: MetricsLog.Key) -> String? {
        guard let start = valueStart(key), start < bytes.count, bytes[start] == UInt8(ascii: "\"") else { return nil }
        var i = start + 1
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") { return nil }
            i += 1
        }
        guard i < bytes.count else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<i]), as: UTF8.self)
    }

    private func valueStart(_ key: MetricsLog.Key) -> Int? {
        var name = key.rawValue
        return name.withUTF8 { k in
            for entry in keys where entry.key.count == k.count {
                if zip(entry.key, k).allSatisfy({ bytes[$0] == $1 }) { return entry.value }
            }
            return nil
        }
    }

    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
    }
}
