import Foundation

/// The report's eval part: the table (models, grey, truth) with the best
/// value of each column marked, and flicker and CDC per sequence.
struct EvalSection {
    let report: EvalReport

    /// The columns of the report's table.
    var columns: [EvalColumn] { EvalColumn.all.filter(\.inReport) }

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

    func bestRow(_ column: EvalColumn) -> Int? {
        column.bestRow(rows.map(\.scores), truth: report.truth)
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
                let text = column.text(column.value(row.scores))
                html += best[c] == r ? "<td class=\"best\" title=\"best\">\(text) ★</td>" : "<td>\(text)</td>"
            }
            html += "</tr>"
        }
        let truthCells = columns.map { $0.truthText(report.truth) }
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
