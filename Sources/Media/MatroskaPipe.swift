/// The bytes that put raw frames with their timestamps onto an encoder's
/// pipe: a minimal live Matroska stream (a segment of unknown size, one video
/// track `V_UNCOMPRESSED` whose colour space is the layout's FourCC, "RGB\u{18}"
/// or "I420", one cluster a frame holding one block), which ffmpeg's demuxer
/// reads as rawvideo rgb24 or yuv420p.
///
/// Why Matroska: ffmpeg's raw video input has no timestamps (only a constant
/// rate), and nothing else it reads from a pipe takes a timestamp a frame
/// that is this simple to write — no checksums, no index. The timestamp
/// scale is 1 ns, so any time base's timestamps pass through and come back
/// exactly when the encoder rounds them to that time base again.
///
/// Every size is written as an 8-byte EBML number, so a frame's header is
/// the same 30 bytes with only its timestamp changing (no allocation a frame).
enum MatroskaPipe {
    /// The EBML header, the segment's start, its info and its one track.
    static func header(width: Int, height: Int, layout: PixelLayout) -> [UInt8] {
        let ebml = element([0x1A, 0x45, 0xDF, 0xA3],
                           element([0x42, 0x82], Array("matroska".utf8))   // DocType
                           + unsigned([0x42, 0x87], 4)                     // DocTypeVersion
                           + unsigned([0x42, 0x85], 2))                    // DocTypeReadVersion
        let info = element([0x15, 0x49, 0xA9, 0x66], unsigned([0x2A, 0xD7, 0xB1], 1))  // TimestampScale: 1 ns
        let video = element([0xE0], unsigned([0xB0], UInt64(width)) + unsigned([0xBA], UInt64(height))
                            + element([0x2E, 0xB5, 0x24], fourCC(layout)))             // ColourSpace
        let track = element([0xAE], unsigned([0xD7], 1)                     // TrackNumber
                            + unsigned([0x73, 0xC5], 1)                    // TrackUID
                            + unsigned([0x83], 1)                          // TrackType: video
                            + element([0x86], Array("V_UNCOMPRESSED".utf8)) + video)
        let tracks = element([0x16, 0x54, 0xAE, 0x6B], track)
        // The segment's size is unknown (all ones): the stream ends when the pipe does.
        return ebml + [0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + info + tracks
    }

    /// Bytes of `frameHeader`, before the frame's own bytes.
    static let frameHeaderSize = 4 + 8 + 1 + 8 + 8 + 1 + 8 + 4

    /// A cluster's start: its timestamp (ns) and a keyframe block of track 1
    /// whose `bytes` frame bytes follow. Written into `into`, `frameHeaderSize` bytes.
    static func frameHeader(nanoseconds: UInt64, bytes: Int, into header: UnsafeMutablePointer<UInt8>) {
        let block = 4 + bytes                                  // track, timestamp offset 0, keyframe flag
        let timestamp = 1 + 8 + 8
        var p = header
        func size(_ n: UInt64) { p.pointee = 0x01; p += 1; big(n, 7) }
        func big(_ n: UInt64, _ count: Int) { for i in (0..<count).reversed() { p.pointee = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))); p += 1 } }
        p[0] = 0x1F; p[1] = 0x43; p[2] = 0xB6; p[3] = 0x75; p += 4      // Cluster
        size(UInt64(timestamp + 1 + 8 + block))
        p.pointee = 0xE7; p += 1; size(8); big(nanoseconds, 8)           // Timestamp
        p.pointee = 0xA3; p += 1; size(UInt64(block))                      // SimpleBlock
        p[0] = 0x81; p[1] = 0; p[2] = 0; p[3] = 0x80                       // track 1, +0, keyframe
    }

    /// The FourCC ffmpeg maps to the layout's pixel format ("RGB" and 24 bits; I420).
    static func fourCC(_ layout: PixelLayout) -> [UInt8] {
        switch layout {
        case .rgb24: [0x52, 0x47, 0x42, 24]
        case .yuv420p: Array("I420".utf8)
        }
    }

    private static func element(_ id: [UInt8], _ data: [UInt8]) -> [UInt8] {
        id + [0x01] + (0..<7).reversed().map { UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * UInt64($0))) } + data
    }

    private static func unsigned(_ id: [UInt8], _ value: UInt64) -> [UInt8] {
        element(id, (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }
}
