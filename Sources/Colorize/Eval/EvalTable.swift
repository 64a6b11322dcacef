import Foundation

extension EvalReport {
    /// The table for people: one row per model, then the grey baseline and the truth.
    public func table() -> String {
        let names = models.map { Self.shortName($0.model) }
        let nameWidth = max(5, names.map(\.count).max() ?? 5)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func num(_ v: Double?, _ format: String, _ n: Int) -> String {
            let s = v.map { String(format: format, $0) } ?? "–"
            return String(repeating: " ", count: max(0, n - s.count)) + s
        }
        func row(_ name: String, _ s: ModelScores) -> String {
            pad(name, nameWidth) + "  " + pad(s.temporal, 8) + num(s.psnr, "%.2f", 8) + num(s.ssim, "%.4f", 8)
                + num(s.abError, "%.2f", 8) + num(s.colourfulness, "%.1f", 11) + num(s.colourfulnessGap, "%.1f", 6)
                + num(s.meanA, "%+.1f", 7) + num(s.meanB, "%+.1f", 7) + num(s.flicker, "%+.3f", 10)
                + num(s.outputChange, "%.3f", 11) + num(s.cdc, "%.5f", 10)
        }
        var lines = ["eval: \(frames) frames in \(sequences) sequence\(sequences == 1 ? "" : "s") of split '\(split)' (\(width)×\(height))"]
        lines.append(pad("model", nameWidth) + "  temporal    PSNR    SSIM   Δa*b*  colourful   gap mean a mean b   flicker  |Δab|→out       CDC")
        for (i, s) in models.enumerated() { lines.append(row(names[i], s)) }
        lines.append(row("grey", grey))
        lines.append(pad("truth", nameWidth) + "  " + pad("", 8) + String(repeating: " ", count: 24)
                     + num(truth.colourfulness, "%.1f", 11) + num(0, "%.1f", 6)
                     + num(truth.meanA, "%+.1f", 7) + num(truth.meanB, "%+.1f", 7) + num(0, "%+.3f", 10) + num(truth.change, "%.3f", 11)
                     + num(truth.cdc, "%.5f", 10))
        lines.append("PSNR/SSIM on RGB; Δa*b* = mean |a*b* − true a*b*|; grey = the true L* with a*b* = 0 (a model "
                     + "that does not beat it has learned no colour); gap = |colourfulness − the truth's| (PSNR alone rewards dull output); "
                     + "mean a, b = the mean a*, b* (a cast shows here); flicker = mean |Δa*b*| between consecutive "
                     + "frames minus the truth's (0: as steady as the truth, > 0: flickers); CDC = colour "
                     + "distribution consistency (NTIRE 2023; lower is steadier, compare with the truth's).")
        return lines.joined(separator: "\n")
    }

    /// The last components of a model's path (run directory and file), enough to tell runs apart.
    static func shortName(_ path: String) -> String {
        guard (path as NSString).lastPathComponent != path else { return path }
        let parts = path.split(separator: "/")
        return parts.suffix(parts.count >= 3 && parts[parts.count - 2] == "checkpoints" ? 3 : 2).joined(separator: "/")
    }
}
