import Foundation

/// What a prep run did, for the final summary.
public struct PrepSummary: Codable {
    public var inputs = 0
    public var alreadyDone = 0
    public var sequences = 0
    public var frames = 0
    public var framesDecoded = 0
    public var cuts = 0
    public var droppedShort = 0
    public var skipped: [SkippedInput] = []
    public var shards = 0
    public var bytes = 0
    public var elapsed = 0.0
    public var complete = false
    public var trainSequences = 0
    public var valSequences = 0
    /// Photos made into clips (`--stills`), and photos refused as greyscale.
    public var stills = 0
    public var greyscaleStills = 0

    public var framesPerSecond: Double { elapsed > 0 ? Double(framesDecoded) / elapsed : 0 }

    public var text: String {
        var lines = [
            "inputs:     \(inputs) (\(alreadyDone) already prepared)",
            "sequences:  \(sequences) (train \(trainSequences), val \(valSequences)); \(droppedShort) short ones dropped",
            "frames:     \(frames) stored, \(framesDecoded) decoded this run",
            "cuts:       \(cuts)",
        ] + (stills + greyscaleStills == 0 ? [] : [
            "stills:     \(stills) photos made into clips, \(greyscaleStills) greyscale refused",
        ]) + [
            "skipped:    \(skipped.count)",
            "shards:     \(shards), \(Self.bytes(bytes))",
            String(format: "elapsed:    %.1f s (%.0f frames/s)", elapsed, framesPerSecond),
        ]
        if !complete { lines.append("the data set is INCOMPLETE; run the same command again to finish it") }
        return lines.joined(separator: "\n")
    }

    static func bytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.2f GB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / Double(1 << 20))
            : String(format: "%.1f kB", Double(n) / 1024)
    }
}
