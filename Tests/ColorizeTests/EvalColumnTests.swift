import Foundation
import XCTest
@testable import Colorize

/// `EvalColumn.all` is the one definition of the eval figures: its JSON field
/// holds the figure it shows, and every row of the terminal table, the truth
/// row included, puts a cell under every column.
final class EvalColumnTests: XCTestCase {
    /// A row whose every figure differs from the others.
    static let scores: ModelScores = {
        var s = ModelScores(model: "m.h5", temporal: "lstm", frames: 9, psnr: 21.25, ssim: 0.8125, abError: 7.5,
                            colourfulness: 18.5, outputChange: 1.75, flicker: 0.375, cdc: 0.0123)
        s.colourfulnessGap = 11.5
        s.meanA = -2.5
        s.meanB = 6.25
        return s
    }()

    func testEveryColumnsJSONFieldHoldsItsFigure() throws {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.scores)) as? [String: Any])
        XCTAssertEqual(Set(EvalColumn.all.map(\.key.stringValue)).count, EvalColumn.all.count, "one field per column")
        for column in EvalColumn.all {
            let value = try XCTUnwrap(column.value(Self.scores), column.heading)
            XCTAssertEqual(json[column.key.stringValue] as? Double, value, column.heading)
        }
    }

    /// With a figure missing from a model and from the truth (a report written
    /// before mean a*, b* existed), every line of the table still ends where
    /// the header does: no cell is dropped, so none moves under another heading.
    func testTerminalRowsKeepTheirColumns() {
        var older = Self.scores
        older.meanA = nil
        older.meanB = nil
        older.cdc = nil
        let report = EvalReport(data: "d", split: "val", sequences: 1, frames: 9, width: 128, height: 128,
                                models: [Self.scores, older], grey: older,
                                truth: TruthScores(colourfulness: 30, change: 1.5, cdc: nil))
        let lines = report.table().components(separatedBy: "\n")
        let rows = lines[1...5]   // header, two models, grey, truth
        XCTAssertTrue(rows.last!.hasPrefix("truth "), lines.joined(separator: "\n"))
        XCTAssertEqual(Set(rows.map(\.count)).count, 1, lines.joined(separator: "\n"))
        XCTAssertTrue(rows.last!.hasSuffix("   1.500         –"), rows.last!)
    }
}
