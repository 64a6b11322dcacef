import Foundation

/// How a frame of any aspect ratio becomes a square `size × size` frame.
public enum FitMode: String, CaseIterable, Codable, Sendable {
    /// Centre-crop to a square (in display geometry, honouring the pixel aspect
    /// ratio), then scale. The default: training sees real content at its true
    /// proportions, with nothing invented; only the sides (or top/bottom) are lost.
    case crop
    /// Scale to fit inside the square and pad with black (letterbox/pillarbox).
    case pad
    /// Scale to the square, distorting the aspect ratio.
    case stretch

    /// The ffmpeg filter chain for a fit mode. Crop sizes are expressions of the
    /// input size so every image of an image sequence may differ in size.
    public func filter(size: Int, info: MediaInfo) -> String {
        let n = info.sarNumerator, d = info.sarDenominator
        switch self {
        case .crop:
            // Display width = iw·n/d; the largest centred square in display geometry
            // is min(ih, iw·n/d) display pixels high, i.e. that many/(n/d) stored wide.
            return "crop=w='min(iw,ih*\(d)/\(n))':h='min(ih,iw*\(n)/\(d))',scale=\(size):\(size):flags=area,format=rgb24"
        case .pad:
            let square = n == d ? "" : "scale=w='trunc(iw*\(n)/\(d)/2)*2':h=ih,setsar=1,"
            return square + "scale=\(size):\(size):force_original_aspect_ratio=decrease:flags=area,format=rgb24,"
                + "pad=\(size):\(size):(ow-iw)/2:(oh-ih)/2:color=black"
        case .stretch:
            return "scale=\(size):\(size):flags=area,format=rgb24"
        }
    }
}
