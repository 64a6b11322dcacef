import Foundation
import Storage
import SwiftProtobuf

/// One TensorBoard event file being written: `events.out.tfevents.<seconds>.<host>.vcolor`
/// (TensorBoard reads every file with "tfevents" in its name, in name order),
/// starting with the `brain.Event:2` version record. Each event is one
/// `write(2)` of one framed record, so a crash leaves at most a cut-short last
/// record, which readers skip.
final class EventFile {
    let path: String
    private let handle: FileHandle

    /// Creates a new file in `directory` holding the version record and then
    /// `records` (a resumed run's kept events), opened for appending.
    init(directory: String, records: [Data] = []) throws {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        var name = "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).vcolor"
        var n = 1
        while FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name)) {
            n += 1
            name = "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).\(n).vcolor"
        }
        path = (directory as NSString).appendingPathComponent(name)
        var body = EventRecords.frame(try Self.versionEvent().serializedBytes())
        for r in records { body += EventRecords.frame(r) }
        try AtomicFile.write(body, to: path)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TensorBoardError("\(path): cannot open the event file for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    static func versionEvent() -> Tensorboard_Event {
        .with {
            $0.wallTime = Date().timeIntervalSince1970
            $0.fileVersion = "brain.Event:2"
        }
    }

    func write(_ event: Tensorboard_Event) throws {
        let record = EventRecords.frame(try event.serializedBytes())
        do { try handle.write(contentsOf: record) } catch {
            throw TensorBoardError("\(path): cannot write: \(error.localizedDescription)")
        }
    }

    /// The events of the file at `path`, every record's checksums verified
    /// (a record cut short at the end is left out).
    static func read(_ path: String) throws -> [Tensorboard_Event] {
        try rawRecords(path).map { try Tensorboard_Event(serializedBytes: $0) }
    }

    static func rawRecords(_ path: String) throws -> [Data] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TensorBoardError("\(path): cannot read the event file")
        }
        return try EventRecords.records(in: data, file: path).records
    }

    /// The event files of `directory`, in the order TensorBoard reads them.
    static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.contains("tfevents") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}
