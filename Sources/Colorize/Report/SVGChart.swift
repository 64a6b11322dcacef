import Foundation

/// Axes, ticks and number formatting shared by the report's charts.
struct ChartFrame {
    var width = 560.0, height = 260.0
    var left = 58.0, right = 14.0, top = 30.0, bottom = 36.0
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }

    /// About `count` round tick values (1, 2 or 5 × 10ⁿ apart) covering lo…hi.
    static func ticks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var t = ceil(lo / step) * step
        // Bounded twice: a step below half an ulp of t would leave t where it
        // is (lo = 1e6, hi two ulps above), and no axis needs more than 50 ticks.
        while t <= hi + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            let next = t + step
            if next == t { break }
            t = next
        }
        return ticks
    }

    /// A short label: 12, 0.35, 1.2e-05, 150k.
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 10_000 { return a.truncatingRemainder(dividingBy: 1000) == 0 ? "\(Int(v / 1000))k" : String(format: "%.1fk", v / 1000) }
        if a >= 1e-3 {
            var s = String(format: "%.4f", v)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
            return s
        }
        return String(format: "%.1e", v)
    }

    /// `<svg>` with the title, the y-axis label and a plot-area clip path.
    func open(id: String, title: String, yLabel: String) -> String {
        """
        <svg class="chart" id="\(HTML.escape(id))" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" \
        width="\(Int(width))" height="\(Int(height))" role="img" aria-label="\(HTML.escape(title))">\
        <defs><clipPath id="\(HTML.escape(id))-clip"><rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)"/></clipPath></defs>\
        <text class="title" x="\(left)" y="18">\(HTML.escape(title))</text>\
        <text class="axis-label" transform="translate(14 \(top + plotHeight / 2)) rotate(-90)" text-anchor="middle">\(HTML.escape(yLabel))</text>
        """
    }

    /// Horizontal grid lines and y labels.
    func yGrid(_ ticks: [Double], y: (Double) -> Double) -> String {
        ticks.map { t in
            let py = String(format: "%.1f", y(t))
            return "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(py)\" y2=\"\(py)\"/>"
                + "<text class=\"tick\" x=\"\(left - 6)\" y=\"\(py)\" dy=\"0.32em\" text-anchor=\"end\">\(ChartFrame.label(t))</text>"
        }.joined()
    }

    /// Legend entries: on the title's line at the right when they fit beside
    /// it, else on a line of their own under it (the plot moves down).
    mutating func legend(_ entries: [(label: String, colour: String)], title: String) -> String {
        let texts = entries.map { $0.label.count > 28 ? String($0.label.prefix(27)) + "…" : $0.label }
        let needed = texts.reduce(0.0) { $0 + Double($1.count) * 6.2 + 22 }
        let ownLine = left + Double(title.count) * 7.4 + needed + 12 > width - right
        if ownLine { top += 16 }
        var x = ownLine ? left : width - right - needed, out = ""
        let y = ownLine ? 34.0 : 18.0
        for (entry, text) in zip(entries, texts) {
            out += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y - 6)\" width=\"12\" height=\"4\" fill=\"\(entry.colour)\"/>"
                + "<text class=\"legend\" x=\"\(String(format: "%.1f", x + 16))\" y=\"\(y)\">\(HTML.escape(text))</text>"
            x += Double(text.count) * 6.2 + 22
        }
        return out
    }
}

/// A line chart of one quantity against step, several runs overlaid: each run
/// a faint raw curve and a bold smoothed one, or points joined by lines for
/// sparse curves (validation), over an optional filled band per run (the
/// range across ranks).
struct LineChart {
    struct Line {
        var label: String
        var colour: String
        var series: Series
        /// The raw curve under a smoothed one: thin, translucent, not in the legend.
        var faint = false
        var markers = false
    }

    /// A translucent area between a band's ends, under the lines; not in the legend.
    struct Area {
        var colour: String
        var band: Band
    }

    var id: String
    var title: String
    var yLabel: String
    var lines: [Line]
    var areas: [Area] = []
    var frame = ChartFrame()

    func svg() -> String {
        let all = lines.filter { !$0.series.isEmpty }
        let areas = self.areas.filter { !$0.band.isEmpty }
        var f = frame
        let legend = f.legend(all.filter { !$0.faint }.map { ($0.label, $0.colour) }, title: title)
        var out = f.open(id: id, title: title, yLabel: yLabel) + legend
        guard let range = yRange(all, areas), let xs = xRange(all.map(\.series) + areas.map(\.band.low)) else {
            return out + "<text class=\"empty\" x=\"\(f.width / 2)\" y=\"\(f.height / 2)\" text-anchor=\"middle\">no data</text></svg>"
        }
        let x = { (v: Double) in f.left + (v - xs.lo) / (xs.hi - xs.lo) * f.plotWidth }
        let y = { (v: Double) in f.top + (range.hi - v) / (range.hi - range.lo) * f.plotHeight }
        out += f.yGrid(ChartFrame.ticks(range.lo, range.hi, count: 5), y: y)
        for t in ChartFrame.ticks(xs.lo, xs.hi, count: 6) {
            out += "<text class=\"tick\" x=\(quote(x(t))) y=\"\(f.top + f.plotHeight + 16)\" text-anchor=\"middle\">\(ChartFrame.label(t))</text>"
        }
        out += "<text class=\"axis-label\" x=\"\(f.left + f.plotWidth / 2)\" y=\"\(f.height - 4)\" text-anchor=\"middle\">step</text>"
        out += "<g clip-path=\"url(#\(HTML.escape(id))-clip)\">"
        for area in areas {
            // Along the high end, back along the low end.
            let low = area.band.low
            let back = path(Series(x: low.x.reversed(), y: low.y.reversed()), x, y)
            out += "<path class=\"band\" fill=\"\(area.colour)\" d=\"\(path(area.band.high, x, y))L\(back.dropFirst())Z\"/>"
        }
        for line in all {
            out += "<path class=\"data\(line.faint ? " raw" : "")\" stroke=\"\(line.colour)\" d=\"\(path(line.series, x, y))\"/>"
            if line.markers {
                for i in 0..<line.series.count {
                    out += "<circle class=\"data\" cx=\(quote(x(line.series.x[i]))) cy=\(quote(y(line.series.y[i]))) r=\"2.6\" fill=\"\(line.colour)\"/>"
                }
            }
        }
        return out + "</g></svg>"
    }

    private func quote(_ v: Double) -> String { "\"" + String(format: "%.1f", v) + "\"" }

    private func path(_ s: Series, _ x: (Double) -> Double, _ y: (Double) -> Double) -> String {
        var d = ""
        d.reserveCapacity(s.count * 14)
        for i in 0..<s.count {
            d += (i == 0 ? "M" : "L") + String(format: "%.1f,%.1f", x(s.x[i]), y(s.y[i]))
        }
        if s.count == 1 { d += String(format: "h0.1") }
        return d
    }

    private func xRange(_ curves: [Series]) -> (lo: Double, hi: Double)? {
        let xs = curves.flatMap { [$0.x.first!, $0.x.last!] }
        guard let lo = xs.min(), let hi = xs.max() else { return nil }
        return hi > lo ? (lo, hi) : (lo - 1, hi + 1)
    }

    /// The bold curves' full range, and the faint ones' and the bands' between
    /// their 1st and 99th percentiles, so one wild early step does not flatten
    /// the chart.
    private func yRange(_ lines: [Line], _ areas: [Area]) -> (lo: Double, hi: Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        func percentiles(_ values: [Double]) {
            let sorted = values.sorted()
            lo = min(lo, sorted[Int(Double(sorted.count - 1) * 0.01)])
            hi = max(hi, sorted[Int(Double(sorted.count - 1) * 0.99)])
        }
        for line in lines {
            if line.faint {
                percentiles(line.series.y)
            } else {
                lo = min(lo, line.series.y.min()!)
                hi = max(hi, line.series.y.max()!)
            }
        }
        for area in areas {
            percentiles(area.band.low.y)
            percentiles(area.band.high.y)
        }
        guard lo.isFinite, hi.isFinite else { return nil }
        if hi - lo < 1e-12 { let pad = max(abs(lo) * 0.1, 1e-3); return (lo - pad, hi + pad) }
        let pad = (hi - lo) * 0.06
        return (lo - pad, hi + pad)
    }
}

/// Grouped bars: one group per sequence, one bar per row (model, grey, truth).
struct BarChart {
    struct Bars {
        var label: String
        var colour: String
        /// One value per group; nil draws no bar (e.g. no CDC for a short sequence).
        var values: [Double?]
    }

    var id: String
    var title: String
    var yLabel: String
    var groups: [String]
    var bars: [Bars]
    var frame = ChartFrame()

    func svg() -> String {
        var f = frame
        f.bottom = 52
        let legend = f.legend(bars.map { ($0.label, $0.colour) }, title: title)
        var out = f.open(id: id, title: title, yLabel: yLabel) + legend
        let values = bars.flatMap { $0.values.compactMap { $0 } }
        guard !groups.isEmpty, let vMin = values.min(), let vMax = values.max() else {
            return out + "<text class=\"empty\" x=\"\(f.width / 2)\" y=\"\(f.height / 2)\" text-anchor=\"middle\">no data</text></svg>"
        }
        let lo = min(0, vMin), hi = max(0, vMax)
        let span = hi > lo ? (hi - lo) * 1.08 : 1
        let top = lo < 0 && hi <= 0 ? 0 : lo + span
        let bottom = top - span
        let y = { (v: Double) in f.top + (top - v) / (top - bottom) * f.plotHeight }
        out += f.yGrid(ChartFrame.ticks(bottom, top, count: 5), y: y)
        let groupWidth = f.plotWidth / Double(groups.count)
        let barWidth = max(1, groupWidth * 0.8 / Double(max(bars.count, 1)))
        let labelEvery = max(1, Int((Double(groups.count) * 60 / f.plotWidth).rounded(.up)))
        for (g, name) in groups.enumerated() {
            let x0 = f.left + Double(g) * groupWidth + groupWidth * 0.1
            for (b, row) in bars.enumerated() {
                guard let v = row.values[g] else { continue }
                let y0 = y(max(v, 0)), y1 = y(min(v, 0))
                out += String(format: "<rect class=\"data\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" ",
                              x0 + Double(b) * barWidth, y0, barWidth, max(0.5, y1 - y0))
                    + "fill=\"\(row.colour)\"><title>\(HTML.escape(row.label)) · \(HTML.escape(name)): \(ChartFrame.label(v))</title></rect>"
            }
            if g % labelEvery == 0 {
                let text = name.count > 12 ? String(name.prefix(11)) + "…" : name
                out += "<text class=\"tick\" x=\"\(String(format: "%.1f", x0 + groupWidth * 0.4))\" y=\"\(f.top + f.plotHeight + 14)\" text-anchor=\"middle\">\(HTML.escape(text))</text>"
            }
        }
        out += "<line class=\"axis\" x1=\"\(f.left)\" x2=\"\(f.left + f.plotWidth)\" y1=\"\(String(format: "%.1f", y(0)))\" y2=\"\(String(format: "%.1f", y(0)))\"/>"
        out += "<text class=\"axis-label\" x=\"\(f.left + f.plotWidth / 2)\" y=\"\(f.height - 6)\" text-anchor=\"middle\">sequence</text>"
        return out + "</svg>"
    }
}
