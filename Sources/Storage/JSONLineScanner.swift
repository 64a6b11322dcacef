import Foundation

/// Reads the top-level numbers and strings of one flat JSON object (a line of
/// metrics.jsonl) without building a dictionary: one pass records where each
/// top-level key's value starts; nested arrays and objects are skipped. The
/// report reads a 100,000-step log in a fraction of a second this way.
/// `MetricsLog.read` reads a whole log through it.
public struct JSONLineScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Per top-level key: the key's bytes (between its quotes) and where its value starts.
    private var keys: [(key: Range<Int>, value: Int)] = []
    /// The line is one object, closed where the line ends: not cut short by a
    /// crash (whose last value may still scan as a number, "0." for "0.25"),
    /// nor run into another line. Its syntax is not checked further.
    public private(set) var isWholeObject = false

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        keys.reserveCapacity(16)
        var depth = 0, i = 0
        var lastString: Range<Int>?
        var closed: Int?, objects = 0
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
                if depth == 0 { closed = i; objects += 1 }
            } else if c == UInt8(ascii: ",") {
                lastString = nil
            }
            i += 1
        }
        var first = 0, last = bytes.count - 1
        while first < bytes.count && Self.isSpace(bytes[first]) { first += 1 }
        while last > first && Self.isSpace(bytes[last]) { last -= 1 }
        isWholeObject = depth == 0 && objects == 1 && first < bytes.count && bytes[first] == UInt8(ascii: "{") && closed == last
    }

    /// The number after top-level `"key":`, nil when absent or not a finite number.
    public func number(_ key: MetricsLog.Key) -> Double? {
        valueStart(key).flatMap { number(at: $0)?.value }
    }

    /// The numbers of the array after top-level `"key":` (a rank's value per
    /// rank) into `values`, which is emptied first and keeps its storage from
    /// line to line; false when absent, or not an array of finite numbers.
    public func numbers(_ key: MetricsLog.Key, into values: inout [Double]) -> Bool {
        values.removeAll(keepingCapacity: true)
        guard let open = valueStart(key), open < bytes.count, bytes[open] == UInt8(ascii: "[") else { return false }
        var i = skipSpaces(open + 1)
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { return true }
        while i < bytes.count {
            guard let (value, end) = number(at: i) else { return false }
            values.append(value)
            i = skipSpaces(end)
            guard i < bytes.count else { return false }
            if bytes[i] == UInt8(ascii: "]") { return true }
            guard bytes[i] == UInt8(ascii: ",") else { return false }
            i = skipSpaces(i + 1)
        }
        return false
    }

    /// The finite number whose text starts at `start`, and where its text ends.
    private func number(at start: Int) -> (value: Double, end: Int)? {
        var end = start
        while end < bytes.count, Self.isNumberByte(bytes[end]) { end += 1 }
        guard end > start, end - start < 64 else { return nil }
        // On the stack: the report reads a number per rank per step.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { text -> (Double, Int)? in
            for k in start..<end { text[k - start] = CChar(bitPattern: bytes[k]) }
            text[end - start] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let v = strtod(text.baseAddress!, &stop)
            return stop == text.baseAddress! + (end - start) && v.isFinite ? (v, end) : nil
        }
    }

    private func skipSpaces(_ i: Int) -> Int {
        var i = i
        while i < bytes.count && bytes[i] == UInt8(ascii: " ") { i += 1 }
        return i
    }

    /// The string after top-level `"key":` (nil if it has escapes; event names have none).
    public func string(_ key: MetricsLog.Key) -> String? {
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

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r")
    }

    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
    }
}
