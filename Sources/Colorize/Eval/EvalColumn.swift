import Foundation

/// One figure of an evaluation, defined once for every place that shows it:
/// the terminal table (`EvalReport.table()`), the report's table
/// (`EvalSection`) and `eval --json` (the field `key` of every row). Each
/// renderer walks `EvalColumn.all`, the truth row included, so a cell cannot
/// land under another column's heading. docs/metrics.md defines the figures.
struct EvalColumn {
    /// The report's heading ("PSNR (dB)", the unit in brackets) and the
    /// terminal table's narrower one ("PSNR").
    var heading: String
    var short: String
    /// The field of `eval --json` (of `models[]` and `grey`).
    var key: ModelScores.CodingKeys
    /// Characters of the terminal table's column, values right-aligned.
    var width: Int
    /// How a value is written (a printf format).
    var format: String
    /// What the report's heading says when pointed at: the meaning and which value is best.
    var tip: String
    var value: (ModelScores) -> Double?
    var best: Best
    var truth: Truth
    /// Whether the report's table has the column (the output's own change is the terminal table's only).
    var inReport = true

    enum Best { case higher, lower, nearestTruth }

    /// What the truth row shows.
    enum Truth {
        /// Nothing: the column compares a row with the truth (PSNR, SSIM, Δa*b*).
        case compared
        /// 0, by definition (the truth's gap to itself, its flicker against itself).
        case zero
        /// The truth's own figure (its colourfulness, its CDC); "–" where a report lacks it.
        case own((TruthScores) -> Double?)
    }

    /// Every column, in the order the tables show them.
    static var all: [EvalColumn] {
        [EvalColumn(heading: "PSNR (dB)", short: "PSNR", key: .psnr, width: 8, format: "%.2f", tip: "higher is better",
                    value: { $0.psnr }, best: .higher, truth: .compared),
         EvalColumn(heading: "SSIM", short: "SSIM", key: .ssim, width: 8, format: "%.4f", tip: "higher is better",
                    value: { $0.ssim }, best: .higher, truth: .compared),
         EvalColumn(heading: "Δa*b*", short: "Δa*b*", key: .abError, width: 8, format: "%.2f",
                    tip: "mean |a*b* − true a*b*|, lower is better", value: { $0.abError }, best: .lower, truth: .compared),
         EvalColumn(heading: "colourfulness", short: "colourful", key: .colourfulness, width: 11, format: "%.1f",
                    tip: "nearest the truth's is best", value: { $0.colourfulness }, best: .nearestTruth,
                    truth: .own { $0.colourfulness }),
         EvalColumn(heading: "colourfulness gap", short: "gap", key: .colourfulnessGap, width: 6, format: "%.1f",
                    tip: "|colourfulness − the truth's|, lower is better (PSNR alone rewards dull output)",
                    value: { $0.colourfulnessGap }, best: .lower, truth: .zero),
         EvalColumn(heading: "mean a*", short: "mean a", key: .meanA, width: 7, format: "%+.1f",
                    tip: "mean a* of the output; nearest the truth's is best (a cast shows here)",
                    value: { $0.meanA }, best: .nearestTruth, truth: .own { $0.meanA }),
         EvalColumn(heading: "mean b*", short: "mean b", key: .meanB, width: 7, format: "%+.1f",
                    tip: "mean b* of the output; nearest the truth's is best (a cast shows here)",
                    value: { $0.meanB }, best: .nearestTruth, truth: .own { $0.meanB }),
         EvalColumn(heading: "flicker", short: "flicker", key: .flicker, width: 10, format: "%+.3f",
                    tip: "mean |Δa*b*| between frames minus the truth's; nearest 0 is best",
                    value: { $0.flicker }, best: .nearestTruth, truth: .zero),
         EvalColumn(heading: "output change", short: "|Δab|→out", key: .outputChange, width: 11, format: "%.3f",
                    tip: "mean |Δa*b*| between consecutive output frames; nearest the truth's is best",
                    value: { $0.outputChange }, best: .nearestTruth, truth: .own { $0.change }, inReport: false),
         EvalColumn(heading: "CDC", short: "CDC", key: .cdc, width: 10, format: "%.5f",
                    tip: "colour distribution consistency (NTIRE 2023); lower is steadier",
                    value: { $0.cdc }, best: .lower, truth: .own { $0.cdc })]
    }

    /// A value as the tables write it, "–" for none.
    func text(_ value: Double?) -> String {
        value.map { String(format: format, $0) } ?? "–"
    }

    /// The truth's figure in this column: its own, 0, or nil where it has none.
    func truthValue(_ truth: TruthScores) -> Double? {
        switch self.truth {
        case .compared: nil
        case .zero: 0
        case .own(let figure): figure(truth)
        }
    }

    /// The truth row's cell: empty where the column compares with the truth.
    func truthText(_ truth: TruthScores) -> String {
        if case .compared = self.truth { return "" }
        return text(truthValue(truth))
    }

    /// The index of the best of `rows` in this column, nil when none has a value.
    func bestRow(_ rows: [ModelScores], truth: TruthScores) -> Int? {
        let target = truthValue(truth) ?? 0
        let distance: (Double) -> Double
        switch best {
        case .higher: distance = { -$0 }
        case .lower: distance = { $0 }
        case .nearestTruth: distance = { abs($0 - target) }
        }
        let scored = rows.indices.compactMap { i in value(rows[i]).map { (i, distance($0)) } }
        return scored.min { $0.1 < $1.1 }?.0
    }
}
