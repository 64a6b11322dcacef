import Foundation

/// Bytes the C heap has handed out (glibc's `malloc_info` totals: heap in use
/// plus mmapped chunks), or nil where that is not available. Read before and
/// after the timed steps: a steady-state step that allocates nothing leaves it
/// unchanged. `mallinfo2` would be simpler but Swift's Glibc module does not
/// export <malloc.h>, so the function is looked up at run time.
enum HeapUsage {
    static func inUseBytes() -> Int? {
        #if canImport(Glibc)
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
        let mallocInfo = unsafeBitCast(symbol, to: MallocInfo.self)
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let stream = open_memstream(&buffer, &length) else { return nil }
        let status = mallocInfo(0, stream)
        fclose(stream)
        guard let buffer else { return nil }
        defer { free(buffer) }
        guard status == 0 else { return nil }
        return totals(String(cString: buffer))
        #else
        return nil
        #endif
    }

    /// In-use bytes from `malloc_info`'s XML: the totals follow the last per-arena </heap>.
    static func totals(_ xml: String) -> Int? {
        guard let tail = xml.range(of: "</heap>", options: .backwards).map({ xml[$0.upperBound...] })
        else { return nil }
        func size(_ tag: String) -> Int? {
            guard let r = tail.range(of: tag) else { return nil }
            let rest = tail[r.upperBound...]
            guard let s = rest.range(of: "size=\""), let e = rest[s.upperBound...].firstIndex(of: "\"")
            else { return nil }
            return Int(rest[s.upperBound..<e])
        }
        guard let fast = size("<total type=\"fast\""), let free = size("<total type=\"rest\""),
              let mmap = size("<total type=\"mmap\""), let current = size("<system type=\"current\"")
        else { return nil }
        return current - fast - free + mmap
    }
}
