import Foundation
import Storage

extension Prep {
    /// Prep writes `--out`'s index and shards, and removes shards (`--overwrite`,
    /// an interrupted run's strays): none of them may be an input named on the
    /// command line, and standard output (the summary, `--json`) may be no input
    /// either. Checked before anything in `--out` is touched.
    public static func checkOwnInputs(_ options: PrepOptions) throws {
        let inputs = InputGuard(options.inputs + options.stills)
        let directory = InputScanner.absolute(options.output)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        do {
            for name in names where isDataSetFile(name) {
                try inputs.check(output: (directory as NSString).appendingPathComponent(name), option: "--out")
            }
            try inputs.checkStandardOutput()
        } catch {
            throw PrepError("\(error)")
        }
    }

    /// A file of the data set in `--out`: a shard (or one being written), the index or its temporary.
    static func isDataSetFile(_ name: String) -> Bool {
        isShardFile(name) || name == DataPrep.indexFileName || name == DataPrep.indexFileName + ".tmp"
    }
}
