import Foundation

extension EvalReport {
    /// The table for people: one row per model, then the grey baseline and the truth.
    public func table() -> String {
        let columns = EvalColumn.all
        let names = models.map { Self.shortName($0.model) }
        let nameWidth = max(5, names.map(\.count).max() ?? 5)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        /// The figures of one row, each right-aligned in its column.
        func cells(_ text: (EvalColumn) -> String) -> String {
            columns.map { c in
                let s = text(c)
                return String(repeating: " ", count: max(0, c.width - s.count)) + s
            }.joined()
        }
        func row(_ name: String, _ kind: String, _ text: (EvalColumn) -> String) -> String {
            pad(name, nameWidth) + "  " + pad(kind, 8) + cells(text)
        }
        var lines = ["eval: \(frames) frames in \(sequences) sequence\(sequences == 1 ? "" : "s") of split '\(split)' (\(width)×\(height))"]
        lines.append(row("model", "temporal") { $0.short })
        for (name, s) in zip(names, models) + [("grey", grey)] {
            lines.append(row(name, s.temporal) { $0.text($0.value(s)) })
        }
        lines.append(row("truth", "") { $0.truthText(truth) })
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
