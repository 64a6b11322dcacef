import Foundation
import Imaging
import Media

/// A PNG contact sheet: one row per video (e.g. input, colourised, original),
/// `columns` frames taken evenly through each, side by side. All videos must
/// have the same frame size.
enum StripImage {
    static func write(rows videos: [String], columns: Int, to path: String) throws {
        var sheet: [UInt8] = []
        var frameWidth = 0, frameHeight = 0
        for (row, video) in videos.enumerated() {
            let info = try MediaInfo.probe(video)
            if row == 0 {
                frameWidth = info.width
                frameHeight = info.height
                sheet = [UInt8](repeating: 0, count: videos.count * columns * frameWidth * frameHeight * 3)
            }
            guard info.width == frameWidth, info.height == frameHeight else {
                throw MediaError("\(video): \(info.width)×\(info.height) frames, the strip's are \(frameWidth)×\(frameHeight)")
            }
            // Decode everything (quickstart clips are short), then pick evenly spaced frames.
            let reader = try FrameReader(.file(video), width: info.width, height: info.height)
            var frames: [[UInt8]] = []
            while let f = reader.next() {
                frames.append(Array(UnsafeBufferPointer(start: f, count: reader.frameBytes)))
            }
            try reader.finishOrThrow()
            guard !frames.isEmpty else { throw MediaError("\(video): no frames") }
            let stride = columns * frameWidth * 3
            for column in 0..<columns {
                let frame = frames[min(frames.count - 1, (2 * column + 1) * frames.count / (2 * columns))]
                for y in 0..<frameHeight {
                    let dst = ((row * frameHeight + y) * stride) + column * frameWidth * 3
                    sheet.replaceSubrange(dst..<(dst + frameWidth * 3),
                                          with: frame[(y * frameWidth * 3)..<((y + 1) * frameWidth * 3)])
                }
            }
        }
        try PNGWriter.write(rgb: sheet, width: columns * frameWidth, height: videos.count * frameHeight, to: path)
    }
}
