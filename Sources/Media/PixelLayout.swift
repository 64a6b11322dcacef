/// How a frame's bytes are laid out on an encoder's pipe.
public enum PixelLayout: Sendable, Equatable {
    /// Interleaved sRGB, 3 bytes a pixel (images; videos with an odd side).
    case rgb24
    /// Planar Y′CbCr 4:2:0 (I420): the Y′ plane, then Cb and Cr at half the
    /// width and height, BT.601 limited range (`YCbCr420` in Imaging makes it).
    case yuv420p

    /// What a video of this size is fed: Y′CbCr 4:2:0, the pixel format of the
    /// file, when both sides are even, so the encoder needs no conversion of
    /// its own; an odd side keeps rgb24, which ffmpeg turns into 4:4:4
    /// (`FrameWriter`) rather than crop a line. One rule for the encoder's
    /// arguments and for the frames `Colorizer` composes.
    public static func video(width: Int, height: Int) -> PixelLayout {
        width % 2 == 0 && height % 2 == 0 ? .yuv420p : .rgb24
    }

    /// Bytes of one frame.
    public func bytes(width: Int, height: Int) -> Int {
        switch self {
        case .rgb24: width * height * 3
        case .yuv420p: width * height + 2 * (width / 2) * (height / 2)
        }
    }
}
