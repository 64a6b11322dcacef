/// The report's ranks part, for finding a straggler: each run's compute time
/// per rank against step (the band from the fastest to the slowest rank, the
/// median rank as a line), and which ranks were the slowest most often and
/// by how much.
struct RankSection {
    let runs: [RunHistory]
    let colours: [String]

    /// How often one rank of a run was the slowest.
    struct Straggler: Equatable {
        var rank: Int
        /// Steps in which it was the slowest, and all steps with per-rank times.
        var steps: Int, of: Int
        /// The median over those steps of its excess over the step's median rank (0.1 = 10 %).
        var medianExcess: Double
    }

    /// Ranks shown per run in the table: the most often slowest.
    static let tableRanks = 3

    /// A run's ranks that were ever the slowest, most often first (then by rank).
    static func stragglers(_ run: RunHistory) -> [Straggler] {
        var excesses: [Int: [Double]] = [:]
        for (rank, excess) in zip(run.slowestRank.y, run.slowestExcess.y) { excesses[Int(rank), default: []].append(excess) }
        return excesses.map { rank, e in
            let sorted = e.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return Straggler(rank: rank, steps: e.count, of: run.slowestRank.count, medianExcess: median)
        }.sorted { ($0.steps, -$0.rank) > ($1.steps, -$1.rank) }
    }

    /// Nothing when no run has two ranks or more with per-rank times (a
    /// one-rank run, a log from before `rank_compute_s`): there is no one to compare.
    func html() -> String {
        guard runs.contains(where: { !$0.slowestRank.isEmpty }) else { return "" }
        var html = "<h2>Ranks</h2><p class=\"muted\">Compute time is a rank's step time less its time in collectives "
            + "(where it waits for the others): a straggler's band edge stands above the median line, and the table "
            + "names the ranks that were the slowest most often, with their typical excess over the step's median rank.</p>"
        html += "<div class=\"charts\">" + chart() + "</div>"
        return html + table()
    }

    func chart() -> String {
        var lines: [LineChart.Line] = [], areas: [LineChart.Area] = []
        for (i, run) in runs.enumerated() {
            let colour = colours[i % colours.count]
            areas.append(.init(colour: colour, band: run.rankCompute.downsampled(maxPoints: ReportPage.maxPoints)))
            lines.append(.init(label: run.name, colour: colour, series: run.rankComputeMedian.downsampled(maxPoints: ReportPage.maxPoints)))
        }
        return LineChart(id: "rank-compute", title: "Compute time per rank (band: fastest to slowest; line: median)",
                         yLabel: "seconds", lines: lines, areas: areas).svg()
    }

    func table() -> String {
        var rows = ""
        for run in runs {
            for s in Self.stragglers(run).prefix(Self.tableRanks) {
                rows += "<tr><td class=\"name\">\(HTML.escape(run.name))</td><td>\(s.rank)</td>"
                    + "<td>\(s.steps) of \(s.of) (\(Int((100 * Double(s.steps) / Double(s.of)).rounded())) %)</td>"
                    + "<td>+\(Int(min(100 * s.medianExcess, 1e9).rounded())) %</td></tr>"   // a crafted log's 1e300 would trap Int()
            }
        }
        guard !rows.isEmpty else { return "" }
        return "<table class=\"eval ranks\"><thead><tr><th>run</th><th>slowest rank</th><th>steps it was the slowest</th>"
            + "<th>median excess over the median rank</th></tr></thead><tbody>" + rows + "</tbody></table>"
    }
}
