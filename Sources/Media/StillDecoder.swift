import CFFmpeg
import Foundation

/// What a decoded photo is: its stored size, the scale it was decoded at, how
/// it is to be shown (EXIF orientation), and whether its pixel format holds
/// colour at all.
public struct StillInfo: Equatable, Sendable {
    /// Size as stored (before orientation), whatever the scale decoded at.
    public var width: Int
    public var height: Int
    /// Decoded at 1/scale of the stored size (1; or 2, 4, 8 for a JPEG decoded
    /// reduced, see `StillDecoder.decode`): decoded pixel x covers stored
    /// pixels x·scale ..< (x+1)·scale, the last one what is left.
    public var scale: Int
    /// EXIF orientation 1…8 (1: as stored; 6: turn 90° clockwise to show; …).
    public var orientation: Int
    /// A pixel format without chroma (gray, gray + alpha).
    public var isGreyFormat: Bool
    /// libavutil's name of the pixel format, e.g. "yuvj420p".
    public var pixelFormat: String

    /// Size as shown: orientations 5–8 swap width and height.
    public var displayWidth: Int { orientation >= 5 ? height : width }
    public var displayHeight: Int { orientation >= 5 ? width : height }
    /// Size of the decoded picture.
    public var decodedWidth: Int { (width + scale - 1) / scale }
    public var decodedHeight: Int { (height + scale - 1) / scale }
}

/// Decodes one still image (JPEG, PNG, WebP, anything libavcodec reads as a
/// single picture) in-process through libavformat and libavcodec, and reduces
/// it by box averaging straight from the decoded planes into float RGB.
///
/// In-process because prep of a folder of photos would otherwise start an
/// ffmpeg per photo, whose start (dynamic linking of some two hundred
/// libraries) costs more than decoding a photo. Reducing from the decoded
/// planes (Y′CbCr or RGB, any 8–16-bit layout libavutil describes, and
/// palettes) reads each decoded byte once and converts colour only at the
/// reduced size: Y′CbCr → RGB is linear, so averaging first is the same
/// (before clipping). One decoder per thread; it keeps the last picture until
/// the next `decode`.
///
/// A JPEG can also be decoded at 1/2, 1/4 or 1/8 of its size when the caller
/// needs no more (`decode(_:reducedUpTo:)`): libavcodec's `lowres`, which
/// inverse-transforms only the low 4×4, 2×2 or 1×1 DCT coefficients of each
/// 8×8 block, as libjpeg's `scale_denom` does. At 1/8 a pixel is its block's
/// mean exactly (the DC coefficient); at 1/2 and 1/4 it is the block's
/// low-pass, close to the box mean `reduce` would take. docs/dataprep.md
/// §Stills has what it changes in prep's frames and what it saves.
public final class StillDecoder {
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    public private(set) var info: StillInfo?

    /// The most pixels a still may have (a 64-megapixel photo decodes to
    /// 192–512 MB, per worker): larger ones are refused before decoding.
    public static let maximumPixels = 64_000_000

    public init() {
        frame = av_frame_alloc()
        packet = av_packet_alloc()
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
    }

    /// Decodes the first picture of `path` at full size. Every failure is a
    /// `MediaError` whose reason is one line (libavcodec's own words where it has any).
    @discardableResult
    public func decode(_ path: String) throws -> StillInfo {
        try decode(path, reduction: nil)
    }

    /// Decodes the first picture of `path`, reduced where the caller allows:
    /// `reduction(width, height)` of the stored size is the most stored
    /// pixels any decoded sample may span, and a JPEG (8-bit, baseline or
    /// progressive) is decoded at the smallest of 1/2, 1/4, 1/8 that keeps
    /// every component within it, chroma included (`StillInfo.scale`: 4:2:0
    /// chroma at 1/4 spans 8 stored pixels). Anything else, and a JPEG
    /// libavcodec cannot decode reduced (some rare chroma layouts), is decoded
    /// at full size; the full decode's verdict on a photo is the one that counts.
    @discardableResult
    public func decode(_ path: String, reducedUpTo reduction: @escaping (_ width: Int, _ height: Int) -> Int) throws -> StillInfo {
        do {
            return try decode(path, reduction: reduction)
        } catch {
            guard scaled else { throw error }
            return try decode(path, reduction: nil)
        }
    }

    /// Whether the last `decode(_:reduction:)` asked libavcodec for a reduced picture.
    private var scaled = false

    private func decode(_ path: String, reduction: ((Int, Int) -> Int)?) throws -> StillInfo {
        info = nil
        scaled = false
        guard let frame, let packet else { throw MediaError(path: path, reason: "out of memory") }
        av_frame_unref(frame)
        // libav's own words for a failure, e.g. "Picture size 9000x9000 is invalid"
        // when a photo is above `maximumPixels` but its header did not say its size.
        _ = FormatProbe.captureErrors
        vc_av_clear_last_error()
        func failure(_ what: String, _ status: Int32) -> MediaError {
            let said = String(cString: vc_av_last_error())
            return MediaError(path: path, reason: "\(what) (\(said.isEmpty ? FormatProbe.errorText(status) : said))")
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw MediaError(path: path, reason: "cannot read file")
        }
        if (attributes[.size] as? Int ?? 0) == 0 { throw MediaError(path: path, reason: "empty file") }

        // "file:" so a name like "http:x" is a file, never a protocol.
        var format: UnsafeMutablePointer<AVFormatContext>?
        var status = avformat_open_input(&format, "file:" + path, nil, nil)
        guard status >= 0, let context = format else { throw failure("not a readable image", status) }
        defer { avformat_close_input(&format) }
        guard let streamIndex = (0..<Int(context.pointee.nb_streams)).first(where: {
            context.pointee.streams[$0]?.pointee.codecpar?.pointee.codec_type == AVMEDIA_TYPE_VIDEO
        }), let parameters = context.pointee.streams[streamIndex]?.pointee.codecpar else {
            throw MediaError(path: path, reason: "not an image (no picture in it)")
        }
        // A photo's size is known before it is decoded: refuse one that would
        // take gigabytes (a small PNG can claim 16000×16000) before decoding it.
        let claimed = Int(parameters.pointee.width) * Int(parameters.pointee.height)
        guard claimed <= Self.maximumPixels else {
            throw MediaError(path: path, reason: "\(parameters.pointee.width)×\(parameters.pointee.height) is more than the \(Self.maximumPixels / 1_000_000)-megapixel limit for a still")
        }
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw MediaError(path: path, reason: "no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id)))")
        }
        var decoder = avcodec_alloc_context3(codec)
        guard let codecContext = decoder else { throw MediaError(path: path, reason: "out of memory") }
        defer { avcodec_free_context(&decoder) }
        status = avcodec_parameters_to_context(codecContext, parameters)
        guard status >= 0 else { throw failure("cannot set up the decoder", status) }
        // Prep decodes one photo per worker thread, as many workers as cores.
        codecContext.pointee.thread_count = 1
        codecContext.pointee.max_pixels = Int64(Self.maximumPixels)
        // A damaged picture is an error, not a half-grey photo to train on.
        codecContext.pointee.err_recognition |= vc_av_ef_explode()

        /// The next packet of the picture's stream into `packet`; false at the end of the file.
        func read() throws -> Bool {
            while true {
                let status = av_read_frame(context, packet)
                if status < 0 {
                    guard status == vc_averror_eof() else { throw failure("cannot read", status) }
                    return false
                }
                if packet.pointee.stream_index == Int32(streamIndex) { return true }
                av_packet_unref(packet)
            }
        }
        // The first packet before the decoder opens: the scale is set at opening,
        // and a JPEG's size is in its header.
        var pending = try read()
        defer { av_packet_unref(packet) }
        var expected: JPEGHeader.Frame?
        if pending, let reduction, codec.pointee.max_lowres > 0, parameters.pointee.codec_id == AV_CODEC_ID_MJPEG,
           let data = packet.pointee.data,
           let header = JPEGHeader.scalableFrame(UnsafeRawBufferPointer(start: data, count: Int(packet.pointee.size))) {
            // Every component's samples no coarser than allowed: 4:2:0 chroma
            // at 1/4 spans 8 stored pixels, so it takes an allowance of 8.
            let allowed = reduction(header.width, header.height)
            var shift: Int32 = 0
            while shift < Int32(codec.pointee.max_lowres), (2 << shift) * header.coarsestSample <= allowed { shift += 1 }
            if shift > 0 {
                codecContext.pointee.lowres = shift
                (scaled, expected) = (true, header)
            }
        }
        status = avcodec_open2(codecContext, codec, nil)
        guard status >= 0 else { throw failure("cannot open the decoder", status) }

        // Packets until the decoder gives a picture; at the end, drain it.
        var draining = false
        while true {
            status = avcodec_receive_frame(codecContext, frame)
            if status >= 0 { break }
            guard status == vc_averror_eagain(), !draining else { throw failure("no picture decoded", status) }
            if try pending || read() {
                pending = false
                status = avcodec_send_packet(codecContext, packet)
                av_packet_unref(packet)
            } else {
                draining = true
                status = avcodec_send_packet(codecContext, nil)
            }
            guard status >= 0 || status == vc_averror_eof() else {
                // A size above `max_pixels` is EINVAL when the container did not tell it beforehand (PNG).
                throw failure(status == -EINVAL ? "cannot decode; a still may have at most \(Self.maximumPixels / 1_000_000) megapixels"
                                                : "cannot decode", status)
            }
        }
        let f = frame.pointee
        // mjpeg ends a truncated scan with a grey tail instead of failing: the
        // frame is then flagged, and a half-grey photo is not trained on.
        guard f.decode_error_flags == 0, f.flags & vc_av_frame_flag_corrupt() == 0 else {
            throw MediaError(path: path, reason: "damaged picture (decoded with errors)")
        }
        guard f.width > 0, f.height > 0, let descriptor = av_pix_fmt_desc_get(AVPixelFormat(rawValue: f.format)) else {
            throw MediaError(path: path, reason: "decoded an empty picture")
        }
        let scale = 1 << Int(codecContext.pointee.lowres)
        var decoded = StillInfo(width: Int(f.width), height: Int(f.height), scale: 1, orientation: Self.orientation(frame),
                                isGreyFormat: descriptor.pointee.nb_components < 3
                                    && descriptor.pointee.flags & vc_pix_fmt_flag_pal() == 0,
                                pixelFormat: String(cString: descriptor.pointee.name))
        if let expected {
            (decoded.width, decoded.height, decoded.scale) = (expected.width, expected.height, scale)
            // The header's size, scaled, is what was decoded (else the full decode decides).
            guard decoded.decodedWidth == Int(f.width), decoded.decodedHeight == Int(f.height) else {
                throw MediaError(path: path, reason: "decoded \(f.width)×\(f.height) at 1/\(scale) of \(expected.width)×\(expected.height)")
            }
        }
        if !decoded.isGreyFormat, Layout(frame: frame) == nil {
            throw MediaError(path: path, reason: "pixel format \(decoded.pixelFormat) is not supported")
        }
        info = decoded
        return decoded
    }

    /// EXIF orientation: the JPEG decoder's "Orientation" tag, else the
    /// rotation of a display matrix (no mirroring), else 1.
    static func orientation(_ frame: UnsafeMutablePointer<AVFrame>) -> Int {
        if let entry = av_dict_get(frame.pointee.metadata, "Orientation", nil, 0),
           let value = Int(String(cString: entry.pointee.value).trimmingCharacters(in: .whitespaces)), (1...8).contains(value) {
            return value
        }
        guard let side = av_frame_get_side_data(frame, AV_FRAME_DATA_DISPLAYMATRIX), side.pointee.size >= 36 else { return 1 }
        let matrix = UnsafeRawPointer(side.pointee.data).assumingMemoryBound(to: Int32.self)
        // A mirrored matrix has a negative determinant; only plain turns are read.
        guard Int64(matrix[0]) * Int64(matrix[4]) - Int64(matrix[1]) * Int64(matrix[3]) > 0 else { return 1 }
        // av_display_rotation_get: degrees counter-clockwise the picture is turned to show it.
        let degrees = av_display_rotation_get(matrix)
        guard degrees.isFinite else { return 1 }
        switch Int((degrees / 90).rounded()) & 3 {
        case 1: return 8     // 90° counter-clockwise
        case 2: return 3
        case 3: return 6     // 90° clockwise
        default: return 1
        }
    }

    /// Size of the decoded picture reduced by `factor` (at least 1×1).
    public static func reducedSize(_ info: StillInfo, factor: Int) -> (width: Int, height: Int) {
        (max(1, info.decodedWidth / factor), max(1, info.decodedHeight / factor))
    }

    /// Writes the decoded picture, reduced by `factor`, into
    /// `pixels`: `reducedSize` pixels row by row, each four floats R, G, B
    /// (0…255) and 0 (room for one SIMD load a pixel).
    /// Reduced pixel X averages decoded columns `X·factor ..< (X+1)·factor`
    /// (chroma: the chroma samples covering them), likewise rows, so position
    /// x in the stored picture is x / (scale·factor) in the reduced one.
    public func reduce(by factor: Int, into pixels: UnsafeMutablePointer<Float>) {
        guard let frame, let info, !info.isGreyFormat, let layout = Layout(frame: frame) else { return }
        precondition(factor >= 1)
        let (rw, rh) = Self.reducedSize(info, factor: factor)
        let components = layout.components
        // Bytes: a reduced row's source rows are summed whole first (a
        // vectorised add over the row's bytes), then each reduced pixel's
        // columns once; components sharing a plane (packed RGB, NV12's chroma)
        // share those sums. Words and palettes: sample by sample.
        let bytes = components.map { $0.palette == nil && $0.depth == 8 }
        let planeWidths = components.map { -((-info.decodedWidth) >> $0.xShift) }
        let planeHeights = components.map { -((-info.decodedHeight) >> $0.yShift) }
        let spans = (0..<3).map { bytes[$0] ? planeWidths[$0] * components[$0].step : rw }
        let sharing = (0..<3).map { c in
            (0..<c).first { bytes[$0] && bytes[c] && components[$0].data == components[c].data
                && components[$0].yShift == components[c].yShift && spans[$0] == spans[c] }
        }
        let offsets = [0, spans[0], spans[0] + spans[1]]
        let accumulators = UnsafeMutablePointer<Int32>.allocate(capacity: spans.reduce(0, +))
        let windows = UnsafeMutablePointer<Int32>.allocate(capacity: 6 * rw)
        // 1 / the samples in each reduced column: a multiplication, not a division, a sample.
        let inverses = UnsafeMutablePointer<Float>.allocate(capacity: 3 * rw)
        defer { accumulators.deallocate(); windows.deallocate(); inverses.deallocate() }
        for c in 0..<3 {
            let w = windows + 2 * rw * c
            for x in 0..<rw {
                w[2 * x] = Int32((x * factor) >> components[c].xShift)
                w[2 * x + 1] = Int32(min(planeWidths[c], (((x + 1) * factor - 1) >> components[c].xShift) + 1))
                inverses[rw * c + x] = 1 / Float(w[2 * x + 1] - w[2 * x])
            }
        }
        for y in 0..<rh {
            for c in 0..<3 {
                let component = components[c], w = windows + 2 * rw * c, inverse = inverses + rw * c
                let top = (y * factor) >> component.yShift
                let bottom = min(planeHeights[c], (((y + 1) * factor - 1) >> component.yShift) + 1)
                let perRow = 1 / Float(bottom - top)
                let out = pixels + 4 * y * rw + c
                if bytes[c] && factor == 1 {
                    // Nothing to average (a small photo): each pixel takes the sample over it.
                    let line = component.data + top * component.lineSize + component.offset
                    let shift = component.xShift, step = component.step
                    for x in 0..<rw { out[4 &* x] = Float(line[(x &>> shift) &* step]) }
                } else if bytes[c] {
                    let sums = accumulators + offsets[sharing[c] ?? c]
                    if sharing[c] == nil {
                        let span = spans[c]
                        sums.update(repeating: 0, count: span)
                        for row in top..<bottom {
                            let line = component.data + row * component.lineSize
                            for i in 0..<span { sums[i] &+= Int32(line[i]) }
                        }
                    }
                    let base = sums + component.offset, step = component.step
                    for x in 0..<rw {
                        var s: Int32 = 0
                        for i in Int(w[2 * x])..<Int(w[2 * x + 1]) { s &+= base[i * step] }
                        out[4 * x] = Float(s) * (inverse[x] * perRow)
                    }
                } else {
                    let sums = accumulators + offsets[c]
                    sums.update(repeating: 0, count: rw)
                    for row in top..<bottom { layout.addRow(component, row: row, windows: w, count: rw, into: sums) }
                    for x in 0..<rw {
                        out[4 * x] = Float(sums[x]) * (inverse[x] * perRow * component.scale)
                    }
                }
            }
            // The row's colour while it is in cache (a whole level 0 is megabytes).
            let row = pixels + 4 * y * rw
            for x in 0..<rw { row[4 * x + 3] = 0 }
            layout.yuv?.toRGB(row, count: rw)
        }
    }
}

/// Where each of three components of a decoded picture lies (plane, byte step
/// and offset, bit depth, chroma subsampling) and how to turn them into RGB.
struct Layout {
    struct Component {
        var data: UnsafeMutablePointer<UInt8>
        var lineSize: Int
        var step: Int
        /// Byte of the sample's (most significant part's) first byte.
        var offset: Int
        var depth: Int
        var shift: Int
        var bigEndian: Bool
        var xShift: Int
        var yShift: Int
        /// For a palette: which byte of the 32-bit ARGB entry (16 R, 8 G, 0 B).
        var paletteShift: Int?
        var palette: UnsafePointer<UInt32>?
        /// Sample value → 0…255.
        var scale: Float { depth == 8 ? 1 : 255 / Float((1 << depth) - 1) }
    }

    struct YUV {
        var fullRange: Bool
        var kr: Float
        var kb: Float

        /// Y′CbCr pixels (four floats each, 0…255 samples) → R′G′B′ in place, clipped to 0…255.
        func toRGB(_ pixels: UnsafeMutablePointer<Float>, count: Int) {
            let kg = 1 - kr - kb
            let lumaScale: Float = fullRange ? 1 : 255 / 219, lumaOffset: Float = fullRange ? 0 : 16
            let chromaScale: Float = fullRange ? 1 : 255 / 224
            let rv = 2 * (1 - kr) * chromaScale, bu = 2 * (1 - kb) * chromaScale
            let gu = 2 * kb * (1 - kb) / kg * chromaScale, gv = 2 * kr * (1 - kr) / kg * chromaScale
            for i in 0..<count {
                let p = pixels + 4 * i
                let l = (p[0] - lumaOffset) * lumaScale, cb = p[1] - 128, cr = p[2] - 128
                p[0] = min(max(l + rv * cr, 0), 255)
                p[1] = min(max(l - gu * cb - gv * cr, 0), 255)
                p[2] = min(max(l + bu * cb, 0), 255)
            }
        }
    }

    var components: [Component]
    /// nil for RGB layouts.
    var yuv: YUV?

    /// nil for what is not supported: fewer than three components, bit
    /// streams, hardware, Bayer, float and XYZ formats, depths above 16.
    init?(frame: UnsafeMutablePointer<AVFrame>) {
        let f = frame.pointee
        let format = AVPixelFormat(rawValue: f.format)
        // A palette format has one component (the index) and colour entries.
        guard let d = av_pix_fmt_desc_get(format)?.pointee,
              d.nb_components >= 3 || d.flags & vc_pix_fmt_flag_pal() != 0,
              d.flags & vc_pix_fmt_flag_unsupported() == 0,
              format != AV_PIX_FMT_XYZ12LE, format != AV_PIX_FMT_XYZ12BE else { return nil }
        let data = withUnsafeBytes(of: f.data) { Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)) }
        let lineSizes = withUnsafeBytes(of: f.linesize) { Array($0.bindMemory(to: Int32.self)) }
        let descriptors = withUnsafeBytes(of: d.comp) { Array($0.bindMemory(to: AVComponentDescriptor.self)) }
        let isRGB = d.flags & vc_pix_fmt_flag_rgb() != 0
        if d.flags & vc_pix_fmt_flag_pal() != 0 {
            guard let indices = data[0], let palette = data[1] else { return nil }
            let entries = UnsafeRawPointer(palette).assumingMemoryBound(to: UInt32.self)
            components = [16, 8, 0].map {
                Component(data: indices, lineSize: Int(lineSizes[0]), step: 1, offset: 0, depth: 8, shift: 0, bigEndian: false,
                          xShift: 0, yShift: 0, paletteShift: $0, palette: entries)
            }
            yuv = nil
            return
        }
        var found: [Component] = []
        for c in 0..<3 {
            let cd = descriptors[c]
            // Bytes, or whole 16-bit words for 9–16 bits; not samples packed across bytes (rgb565).
            guard cd.depth == 8 || (cd.depth > 8 && cd.depth <= 16 && cd.step >= 2), let plane = data[Int(cd.plane)] else { return nil }
            let chroma = !isRGB && c > 0
            found.append(Component(data: plane, lineSize: Int(lineSizes[Int(cd.plane)]), step: Int(cd.step), offset: Int(cd.offset),
                                   depth: Int(cd.depth), shift: Int(cd.shift), bigEndian: d.flags & vc_pix_fmt_flag_be() != 0,
                                   xShift: chroma ? Int(d.log2_chroma_w) : 0, yShift: chroma ? Int(d.log2_chroma_h) : 0))
        }
        components = found
        if isRGB {
            yuv = nil
        } else {
            let name = String(cString: d.name)
            let full = f.color_range == AVCOL_RANGE_JPEG || name.hasPrefix("yuvj")
            let bt709 = f.colorspace == AVCOL_SPC_BT709
            yuv = YUV(fullRange: full, kr: bt709 ? 0.2126 : 0.299, kb: bt709 ? 0.0722 : 0.114)
        }
    }

    /// Adds, for each reduced column x, the samples of `row` in window
    /// `windows[2x] ..< windows[2x+1]` to `sums[x]`: a palette's, or 9–16-bit
    /// words (bytes take `reduce`'s faster way).
    @inline(__always)
    func addRow(_ c: Component, row: Int, windows: UnsafePointer<Int32>, count: Int, into sums: UnsafeMutablePointer<Int32>) {
        let line = c.data + row * c.lineSize + c.offset
        let step = c.step
        if let palette = c.palette, let shift = c.paletteShift {
            for x in 0..<count {
                var s = 0
                for i in Int(windows[2 * x])..<Int(windows[2 * x + 1]) { s += Int((palette[Int(line[i])] >> UInt32(shift)) & 255) }
                sums[x] &+= Int32(s)
            }
        } else {
            let shift = c.shift, mask = (1 << c.depth) - 1, big = c.bigEndian
            for x in 0..<count {
                var s = 0
                for i in Int(windows[2 * x])..<Int(windows[2 * x + 1]) {
                    let p = line + i * step
                    let word = big ? Int(p[0]) << 8 | Int(p[1]) : Int(p[1]) << 8 | Int(p[0])
                    s += (word >> shift) & mask
                }
                sums[x] &+= Int32(s)
            }
        }
    }
}
