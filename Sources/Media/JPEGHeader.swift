/// What a JPEG declares in its frame header, read before decoding: libavcodec
/// learns a JPEG's size only while decoding it, but whether to decode it
/// reduced (`StillDecoder`'s DCT scaling) has to be set before.
enum JPEGHeader {
    struct Frame: Equatable {
        var width: Int
        var height: Int
        /// Stored pixels across one sample of the most subsampled component,
        /// either way: 2 for 4:2:0 and 4:2:2 chroma, 1 for 4:4:4 or grey.
        var coarsestSample: Int
    }

    /// The frame header of an 8-bit Huffman-coded DCT JPEG (baseline,
    /// extended or progressive: SOF0–SOF2), the kinds libavcodec can decode at
    /// 1/2, 1/4 or 1/8 scale; nil for anything else (lossless, JPEG-LS,
    /// arithmetic coding, 12-bit samples, a height left to a later DNL marker,
    /// no frame header before the first scan, or bytes that are not a JPEG).
    ///
    /// Walks the marker segments from SOI, skipping each by its length, so a
    /// thumbnail inside an APP1 (Exif) segment is never mistaken for the frame.
    static func scalableFrame(_ bytes: UnsafeRawBufferPointer) -> Frame? {
        let n = bytes.count
        guard n >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        func word(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        var i = 2
        while i + 1 < n {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            switch marker {
            case 0xFF:                       // fill byte before a marker
                i += 1
                continue
            case 0x01, 0xD0...0xD7:          // markers without a segment
                i += 2
                continue
            case 0xD9, 0xDA:                 // end of image, or a scan before any frame header
                return nil
            default:
                break
            }
            guard i + 4 <= n else { return nil }
            let length = word(i + 2)
            guard length >= 2 else { return nil }
            // SOF0–SOF15 (C4, C8 and CC are other segments) and JPEG-LS's SOF55.
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) || marker == 0xF7 {
                return marker <= 0xC2 ? frame(at: i, length: length, bytes) : nil
            }
            i += 2 + length
        }
        return nil
    }

    /// The frame header at `i`: precision, height, width, then each
    /// component's id, sampling factors (4 bits each) and table.
    private static func frame(at i: Int, length: Int, _ bytes: UnsafeRawBufferPointer) -> Frame? {
        guard length >= 8, i + 10 <= bytes.count, bytes[i + 4] == 8 else { return nil }
        let height = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]), width = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
        let count = Int(bytes[i + 9])
        guard width > 0, height > 0, count > 0, length >= 8 + 3 * count, i + 10 + 3 * count <= bytes.count else { return nil }
        let factors = (0..<count).map { (h: Int(bytes[i + 11 + 3 * $0] >> 4), v: Int(bytes[i + 11 + 3 * $0] & 15)) }
        guard factors.allSatisfy({ (1...4).contains($0.h) && (1...4).contains($0.v) }) else { return nil }
        let hMax = factors.map(\.h).max()!, vMax = factors.map(\.v).max()!
        let coarsest = factors.map { max((hMax + $0.h - 1) / $0.h, (vMax + $0.v - 1) / $0.v) }.max()!
        return Frame(width: width, height: height, coarsestSample: coarsest)
    }
}
