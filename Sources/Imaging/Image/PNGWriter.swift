import CZlib
import Foundation
import Storage

/// 8-bit RGB images as PNG (sample strips, report figures): one IDAT of
/// zlib-compressed rows with filter type 0, CRC-32 from zlib. Small images
/// only; the frames of a film go through ffmpeg.
public enum PNGWriter {
    public static func encode(rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3)
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 3 * width))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * 3 * width)..<((y + 1) * 3 * width)])
        }
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(uLong(raw.count))))
        var length = uLongf(compressed.count)
        let status = compressed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress2(out.baseAddress, &length, $0.baseAddress, uLong($0.count), 6) }
        }
        precondition(status == Z_OK, "zlib compress2 failed with enough output space (\(status))")
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            out += be32(body.count) + typed + be32(Int(crc))
        }
        chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        chunk("IDAT", Array(compressed[0..<Int(length)]))
        chunk("IEND", [])
        return out
    }

    /// Encodes and writes atomically (`AtomicFile`).
    public static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        try AtomicFile.write(encode(rgb: rgb, width: width, height: height), to: path)
    }
}
