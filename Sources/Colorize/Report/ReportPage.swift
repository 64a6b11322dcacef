import Foundation
import Storage

/// The report: one self-contained HTML page (inline CSS and SVG, sample
/// strips as data: URIs; no script, nothing fetched) with the training curves
/// of one or more runs overlaid, their compute time per rank and slowest
/// ranks, the eval table and per-sequence figures, and
/// the newest sample strips.
public struct ReportPage {
    public var runs: [RunHistory]
    public var eval: EvalReport?
    /// Points per drawn curve at most: keeps a 100,000-step run's page small.
    public static let maxPoints = 1000
    static let colours = ["#1f6fb4", "#d1495b", "#2e9e5b", "#8e5bb5", "#e08a1e", "#17a2b8", "#8c564b", "#c2549d"]
    static let greyColour = "#9a9a9a"
    static let truthColour = "#303030"

    public init(runs: [RunHistory], eval: EvalReport?) {
        self.runs = runs
        self.eval = eval
    }

    public func html() -> String {
        var body = header()
        body += "<h2>Training</h2><div class=\"charts\">" + trainingCharts().joined() + "</div>"
        body += RankSection(runs: runs, colours: Self.colours).html()
        if let eval { body += evalSection(eval) }
        body += samples()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>vcolor report: \(HTML.escape(runs.map(\.name).joined(separator: ", ")))</title>
            <style>\(Self.css)</style></head>
            <body>\(body)</body></html>

            """
    }

    func colour(_ run: Int) -> String { Self.colours[run % Self.colours.count] }

    func header() -> String {
        var html = "<h1>vcolor report</h1><ul class=\"runs\">"
        for (i, run) in runs.enumerated() {
            let steps = run.lossD.x.last.map { "\(Int($0)) steps" } ?? "no steps logged"
            let validations = run.validationPSNR.count
            html += "<li><span class=\"swatch\" style=\"background:\(colour(i))\"></span><b>\(HTML.escape(run.name))</b> "
                + "<span class=\"muted\">\(HTML.escape(run.path)) · \(steps) · \(validations) validation\(validations == 1 ? "" : "s")"
            if run.skippedLines > 0 { html += " · \(run.skippedLines) unreadable line\(run.skippedLines == 1 ? "" : "s") of metrics.jsonl skipped" }
            html += "</span></li>"
        }
        return html + "</ul>"
    }

    /// Raw (faint) and smoothed curves of one quantity, every run overlaid.
    func smoothedChart(_ id: String, _ title: String, _ yLabel: String, _ pick: (RunHistory) -> Series) -> String {
        var lines: [LineChart.Line] = []
        for (i, run) in runs.enumerated() {
            let raw = pick(run)
            lines.append(.init(label: run.name, colour: colour(i), series: raw.downsampled(maxPoints: Self.maxPoints), faint: true))
            lines.append(.init(label: run.name, colour: colour(i), series: raw.smoothed().downsampled(maxPoints: Self.maxPoints)))
        }
        return LineChart(id: id, title: title, yLabel: yLabel, lines: lines).svg()
    }

    /// Sparse curves (validation): points joined by lines.
    func pointChart(_ id: String, _ title: String, _ yLabel: String, _ pick: (RunHistory) -> Series) -> String {
        let lines = runs.enumerated().map { i, run in
            LineChart.Line(label: run.name, colour: colour(i), series: pick(run).downsampled(maxPoints: Self.maxPoints),
                           markers: pick(run).count <= 60)
        }
        return LineChart(id: id, title: title, yLabel: yLabel, lines: lines).svg()
    }

    func trainingCharts() -> [String] {
        [smoothedChart("loss-d", "Discriminator loss (loss_D)", "loss_D", \.lossD),
         smoothedChart("loss-g", "Generator loss (loss_G = w·GAN + λ·L1)", "loss_G", \.lossG),
         smoothedChart("loss-g-gan", "Generator loss: GAN part", "GAN", \.lossGAN),
         smoothedChart("loss-g-l1", "Generator loss: L1 part (ab/110 units)", "L1", \.lossL1),
         pointChart("val-l1", "Validation L1 (lower is better)", "L1", \.validationL1),
         pointChart("val-psnr", "Validation PSNR (higher is better)", "PSNR (dB)", \.validationPSNR),
         smoothedChart("throughput", "Throughput (all ranks)", "frames/s", \.framesPerSecond),
         smoothedChart("allreduce", "All-reduce share of a step", "% of step", \.allReduceShare)]
    }

    func evalSection(_ eval: EvalReport) -> String {
        let section = EvalSection(report: eval)
        var html = "<h2>Evaluation</h2><p class=\"muted\">\(eval.frames) frames in \(eval.sequences) sequence\(eval.sequences == 1 ? "" : "s") "
            + "of split “\(HTML.escape(eval.split))” of \(HTML.escape(eval.data)) (\(eval.width)×\(eval.height)). "
            + "★ marks the best of the models and grey in each column: PSNR and SSIM higher, Δa*b* and CDC lower, "
            + "colourfulness nearest the truth's, flicker nearest 0. A model that does not beat <b>grey</b> "
            + "(the black-and-white input) has learned no colour.</p>"
        html += section.table()
        html += "<div class=\"charts\">" + section.perSequenceCharts(colours: Self.colours).joined() + "</div>"
        return html
    }

    func samples() -> String {
        let strips = runs.filter { $0.sample != nil }
        guard !strips.isEmpty else { return "" }
        var html = "<h2>Newest samples</h2><p class=\"muted\">One row per frame of the first validation clip; "
            + "columns: grey input | model | truth.</p><div class=\"samples\">"
        for run in strips {
            let (name, png) = run.sample!
            html += "<figure><img alt=\"\(HTML.escape(run.name + " " + name))\" src=\"data:image/png;base64,\(png.base64EncodedString())\">"
                + "<figcaption>\(HTML.escape(run.name)) · \(HTML.escape(name))</figcaption></figure>"
        }
        return html + "</div>"
    }

    static let css = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;background:#fafafa;margin:0 auto;max-width:1200px;padding:20px 28px}
        h1{font-size:24px;margin:4px 0 8px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .muted{color:#666}.runs{list-style:none;padding:0;margin:0}.runs li{margin:2px 0}
        .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
        svg.chart{background:#fff;border:1px solid #e2e2e2;border-radius:6px;max-width:100%;height:auto}
        svg .title{font-size:13px;font-weight:600;fill:#222}svg .tick,svg .legend{font-size:11px;fill:#555}
        svg .axis-label{font-size:11px;fill:#777}svg .empty{font-size:13px;fill:#999}
        svg .grid{stroke:#eee;stroke-width:1}svg .axis{stroke:#999;stroke-width:1}
        svg path.data{fill:none;stroke-width:1.8;stroke-linejoin:round}svg path.data.raw{stroke-width:1;stroke-opacity:.25}
        svg path.band{stroke:none;fill-opacity:.2}table.ranks td:nth-child(2){color:#222;text-align:right}
        table.eval{border-collapse:collapse;background:#fff;margin:8px 0 16px;font-variant-numeric:tabular-nums}
        table.eval th,table.eval td{padding:5px 12px;border-bottom:1px solid #e6e6e6;text-align:right}
        table.eval th{background:#f0f0f0;font-weight:600;cursor:help}table.eval td.name,table.eval th:first-child{text-align:left}
        table.eval td:nth-child(2),table.eval th:nth-child(2){text-align:left;color:#666}
        table.eval td.best{font-weight:700;color:#0b6b2f;background:#eef8f0}
        table.eval tr.grey td{color:#555;background:#f6f6f6}table.eval tr.grey td.best{color:#0b6b2f;background:#e8f4ea}
        table.eval tr.truth td{color:#333;font-style:italic;border-top:2px solid #ccc}
        .samples{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0}figure img{image-rendering:pixelated;border:1px solid #ddd;max-height:640px}
        figcaption{font-size:12px;color:#666;margin-top:4px}
        """
}

/// `vcolor report`: reads the runs (and an eval JSON) and writes the page.
public enum Report {
    /// Writes the page to `output` under a temporary name, then renames it.
    /// Returns the page's size in bytes.
    @discardableResult
    public static func write(runs: [String], eval: String?, to output: String) throws -> Int {
        let histories = try runs.map { try RunHistory.load($0) }
        var report: EvalReport?
        if let eval {
            guard let data = FileManager.default.contents(atPath: eval) else { throw ReportError("\(eval): cannot read the eval JSON") }
            do { report = try JSONDecoder().decode(EvalReport.self, from: data) } catch {
                throw ReportError("\(eval): not an eval JSON written by this version of vcolor eval --json (\(Self.reason(error)))")
            }
        }
        try checkOwnInputs(runs: zip(runs, histories), eval: eval, output: output)
        let page = Data(ReportPage(runs: histories, eval: report).html().utf8)
        // Through AtomicFile like every other file vcolor writes (temporary name, fsync, rename).
        do { try AtomicFile.write(page, to: output) } catch let error as StorageError {
            throw ReportError("\(output): cannot write the report (\(error.reason))")
        }
        return page.count
    }

    /// The page must not replace what it is made of (`--out RUN/metrics.jsonl`
    /// would leave a run with no training log): each run's log and sample strip, the eval JSON.
    static func checkOwnInputs(runs: some Sequence<(String, RunHistory)>, eval: String?, output: String) throws {
        var inputs = InputGuard(eval.map { [$0] } ?? [])
        for (run, history) in runs {
            inputs.add((run as NSString).appendingPathComponent(MetricsLog.fileName))
            if let sample = history.sample { inputs.add((RunHistory.samplesDirectory(run) as NSString).appendingPathComponent(sample.name)) }
        }
        do { try inputs.check(output: output, option: "--out") } catch { throw ReportError("\(error)") }
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
        default: return "\(error)"
        }
    }
}
