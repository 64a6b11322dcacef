import Foundation
import HDF5Kit

/// A minimal PNG encoder for 8-bit RGB images (sample strips): one IDAT of
/// zlib-compressed rows with filter type 0. zlib comes from HDF5Kit's
/// `Deflate` (the same zlib stream format PNG uses); CRC-32 is computed here.
enum PNGWriter {
    static func encode(rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        precondition(rgb.count == width * height * 3)
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 3 * width))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * 3 * width)..<((y + 1) * 3 * width)])
        }
        var deflate = Deflate(level: 6)
        let n = raw.withUnsafeBytes { deflate.compress($0) }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            out += be32(body.count) + typed + be32(Int(crc32(typed)))
        }
        chunk("IHDR", be32(width) + be32(height) + [8, 2, 0, 0, 0])
        chunk("IDAT", Array(deflate.output[0..<n]))
        chunk("IEND", [])
        return out
    }

    static func write(rgb: [UInt8], width: Int, height: Int, to path: String) throws {
        let bytes = encode(rgb: rgb, width: width, height: height)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw TrainingError("\(path): cannot write the sample image")
        }
    }

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
