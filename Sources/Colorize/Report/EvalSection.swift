import Foundation

/// The report's eval part: the table (models, grey, truth) with the best
/// value of each column marked, and flicker and CDC per sequence.
struct EvalSection {
    let report: EvalReport

    /// A column: its heading, how to read a row, and which value is best.
    struct Column {
        var heading: String
        var tip: String
        var format: String
        var value: (ModelScores) -> Double?
        /// The truth's own value: shown in the truth row, and the target of `.nearTruth`.
        var truth: Double?
        /// Higher, lower, or nearest the truth's value is best.
        var best: Best
        /// Whether the truth has a value of its own here (its colourfulness, its
        /// CDC): its row shows it, or "–" where it is missing. PSNR, SSIM and
        /// Δa*b* compare with the truth and leave its cell empty.
        var ofTruth = true
        enum Best { case higher, lower, nearTruth, nearZero }
    }

    var columns: [Column] {
        [Column(heading: "PSNR (dB)", tip: "higher is better", format: "%.2f", value: { $0.psnr }, truth: nil, best: .higher, ofTruth: false),
         Column(heading: "SSIM", tip: "higher is better", format: "%.4f", value: { $0.ssim }, truth: nil, best: .higher, ofTruth: false),
         Column(heading: "Δa*b*", tip: "mean |a*b* − true a*b*|, lower is better", format: "%.2f",
                value: { $0.abError }, truth: nil, best: .lower, ofTruth: false),
         Column(heading: "colourfulness", tip: "nearest the truth's is best", format: "%.1f",
                value: { $0.colourfulness }, truth: report.truth.colourfulness, best: .nearTruth),
         Column(heading: "colourfulness gap", tip: "|colourfulness − the truth's|, lower is better (PSNR alone rewards dull output)",
                format: "%.1f", value: { $0.colourfulnessGap }, truth: 0, best: .lower),
         Column(heading: "mean a*", tip: "mean a* of the output; nearest the truth's is best (a cast shows here)",
                format: "%+.1f", value: { $0.meanA }, truth: report.truth.meanA, best: .nearTruth),
         Column(heading: "mean b*", tip: "mean b* of the output; nearest the truth's is best (a cast shows here)",
                format: "%+.1f", value: { $0.meanB }, truth: report.truth.meanB, best: .nearTruth),
         Column(heading: "flicker", tip: "mean |Δa*b*| between frames minus the truth's; nearest 0 is best",
                format: "%+.3f", value: { $0.flicker }, truth: 0, best: .nearZero),
         Column(heading: "CDC", tip: "colour distribution consistency (NTIRE 2023); lower is steadier",
                format: "%.5f", value: { $0.cdc }, truth: report.truth.cdc, best: .lower)]
    }

    struct Row {
        var name: String
        var kind: String
        var scores: ModelScores
        var isGrey = false
    }

    /// The rows that compete: the models and grey.
    var rows: [Row] {
        report.models.map { Row(name: EvalReport.shortName($0.model), kind: $0.temporal, scores: $0) }
            + [Row(name: "grey", kind: "true L, a*b* = 0", scores: report.grey, isGrey: true)]
    }

    func bestRow(_ column: Column) -> Int? {
        let values = rows.map { column.value($0.scores) }
        let scored = values.indices.compactMap { i in values[i].map { (i, $0) } }
        let key: (Double) -> Double
        switch column.best {
        case .higher: key = { -$0 }
        case .lower: key = { $0 }
        case .nearTruth: key = { abs($0 - (column.truth ?? 0)) }
        case .nearZero: key = { abs($0) }
        }
        return scored.min { key($0.1) < key($1.1) }?.0
    }

    func table() -> String {
        let columns = self.columns
        let best = columns.map { bestRow($0) }
        var html = "<table class=\"eval\"><thead><tr><th>model</th><th>temporal</th>"
        for c in columns { html += "<th title=\"\(HTML.escape(c.tip))\">\(HTML.escape(c.heading))</th>" }
        html += "</tr></thead><tbody>"
        for (r, row) in rows.enumerated() {
            html += "<tr class=\"\(row.isGrey ? "grey" : "model")\"><td class=\"name\">\(HTML.escape(row.name))</td><td>\(HTML.escape(row.kind))</td>"
            for (c, column) in columns.enumerated() {
                let text = column.value(row.scores).map { String(format: column.format, $0) } ?? "–"
                html += best[c] == r ? "<td class=\"best\" title=\"best\">\(text) ★</td>" : "<td>\(text)</td>"
            }
            html += "</tr>"
        }
        let truthCells = columns.map { c in c.ofTruth ? c.truth.map { String(format: c.format, $0) } ?? "–" : "" }
        html += "<tr class=\"truth\"><td class=\"name\">truth</td><td>target</td>"
            + truthCells.map { "<td>\($0)</td>" }.joined() + "</tr></tbody></table>"
        return html
    }

    /// Flicker and CDC per sequence: one bar per row in each sequence's group.
    func perSequenceCharts(colours: [String]) -> [String] {
        let ids = report.truth.sequences.map(\.id)
        guard !ids.isEmpty else { return [] }
        var flicker: [BarChart.Bars] = [], cdc: [BarChart.Bars] = []
        for (i, row) in rows.enumerated() {
            let colour = row.isGrey ? ReportPage.greyColour : colours[i % colours.count]
            let byID = Dictionary(row.scores.sequences.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            flicker.append(.init(label: row.name, colour: colour, values: ids.map { byID[$0]?.flicker }))
            cdc.append(.init(label: row.name, colour: colour, values: ids.map { byID[$0]?.cdc }))
        }
        cdc.append(.init(label: "truth", colour: ReportPage.truthColour, values: report.truth.sequences.map(\.cdc)))
        return [BarChart(id: "seq-flicker", title: "Flicker per sequence (0 = as steady as the truth)",
                         yLabel: "flicker (Δa*b*)", groups: ids, bars: flicker).svg(),
                BarChart(id: "seq-cdc", title: "CDC per sequence (lower is steadier; compare with the truth)",
                         yLabel: "CDC", groups: ids, bars: cdc).svg()]
    }
}
