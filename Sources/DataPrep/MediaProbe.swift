import Media

/// What prep needs to know about an input before decoding it: `MediaInfo.probe`
/// of the file (of the first image for an image sequence, whose images the
/// decoder reads one by one), with the frame count of image inputs.
enum MediaProbe {
    static func probe(_ input: PrepInput) throws -> MediaInfo {
        do {
            var info = try MediaInfo.probe(input.kind == .imageSequence ? input.images[0] : input.path)
            switch input.kind {
            case .imageSequence: (info.fps, info.estimatedFrames) = (0, input.images.count)
            case .image: (info.fps, info.estimatedFrames) = (0, 1)
            default: break
            }
            return info
        } catch let error as MediaError {
            // The caller names the input; the reason is what it adds.
            throw PrepError(error.reason)
        }
    }
}
