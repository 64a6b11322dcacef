import Foundation
import HDF5Kit

/// What `vcolor inspect` reports about a path: a data set (directory with
/// index.json, or the index itself), a vcolor shard, or any other HDF5 file such
/// as a checkpoint (listed generically: groups, datasets, attributes).
public enum Inspection {
    /// A JSON-ready description and its human-readable rendering.
    ///
    /// A data set is also checked against its shards: every listed shard must
    /// exist and open as a shard, and hold every sequence index.json puts in
    /// it with the frame count it says (uint8 `[T, 3, H, W]`); with `verify`
    /// every frame is read too (decompressing and checksumming every chunk).
    /// What disagrees is listed under `problems` (non-empty: the command
    /// exits non-zero).
    public static func inspect(_ path: String, verify: Bool = false) throws -> (json: [String: Any], text: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PrepError("\(path): no such file or directory")
        }
        if isDirectory.boolValue || (path as NSString).lastPathComponent == DataPrep.indexFileName {
            return try dataset(path, verify: verify)
        }
        let file = try HDF5File.open(path)
        defer { try? file.close() }
        if (try? file.root.stringAttribute("format")) == DataPrep.shardFormat {
            return try shard(file)
        }
        return try generic(file)
    }

    // MARK: data set

    static func dataset(_ path: String, verify: Bool) throws -> (json: [String: Any], text: String) {
        let index = try DatasetIndex.load(path, requireComplete: false, checkShardFiles: false)
        let problems = checkShards(index, directory: path.hasSuffix(DataPrep.indexFileName) ? (path as NSString).deletingLastPathComponent : path,
                                   verify: verify)
        let bytes = index.shards.reduce(0) { $0 + $1.bytes }
        func frames(_ split: Split) -> Int { index.sequences(split).reduce(0) { $0 + $1.frames } }
        let trainSources = index.sources.filter { $0.split == Split.train.rawValue }.count
        let summary: [String: Any] = [
            "kind": "dataset", "path": path, "complete": index.complete,
            "height": index.height, "width": index.width, "encoding": index.encoding,
            "seed": index.seed, "val_fraction": index.valFraction,
            "shards": index.shards.count, "bytes": bytes,
            "sequences": ["total": index.sequences.count, "train": index.sequences(.train).count,
                          "val": index.sequences(.val).count],
            "frames": ["total": frames(.train) + frames(.val), "train": frames(.train), "val": frames(.val)],
            "sources": ["total": index.sources.count, "train": trainSources, "val": index.sources.count - trainSources],
            "cuts": index.sources.reduce(0) { $0 + $1.cuts },
            "dropped_short": index.sources.reduce(0) { $0 + $1.droppedShort },
            "skipped": index.skipped.map { ["path": $0.path, "reason": $0.reason] },
            "problems": problems, "verified": verify,
            "source_list": index.sources.map {
                ["name": $0.name, "path": $0.path, "split": $0.split, "frames": $0.frames, "sequences": $0.sequences, "cuts": $0.cuts] as [String: Any]
            },
        ]
        var lines = [
            "data set \(path)" + (index.complete ? "" : "  (INCOMPLETE: prep was interrupted)"),
            "  frames     \(index.width)×\(index.height) \(index.encoding)",
            "  shards     \(index.shards.count), \(PrepSummary.bytes(bytes))",
            "  sequences  \(index.sequences.count) (train \(index.sequences(.train).count), val \(index.sequences(.val).count))",
            "  frames     \(frames(.train) + frames(.val)) (train \(frames(.train)), val \(frames(.val)))",
            "  sources    \(index.sources.count) (train \(trainSources), val \(index.sources.count - trainSources)); "
                + "\(summary["cuts"]!) cuts, \(summary["dropped_short"]!) short sequences dropped",
            "  split      seed \(index.seed), val fraction \(index.valFraction)",
        ]
        lines.append(problems.isEmpty ? "  shards     agree with index.json" + (verify ? "; every frame read" : "")
                                      : "  PROBLEMS   \(problems.count)")
        for p in problems { lines.append("    " + p) }
        if !index.skipped.isEmpty {
            lines.append("  skipped    \(index.skipped.count)")
            for s in index.skipped { lines.append("    \(s.path): \(s.reason)") }
        }
        if !index.sources.isEmpty {
            lines.append("  source                               split  frames  sequences  cuts")
            for s in index.sources {
                lines.append("    " + pad(s.name, 35) + " " + pad(s.split, 5) + " " + lpad(s.frames, 7) + " " + lpad(s.sequences, 10) + " " + lpad(s.cuts, 5))
            }
        }
        return (summary, lines.joined(separator: "\n"))
    }

    /// What the shards say against index.json, one line per disagreement.
    static func checkShards(_ index: DatasetIndex, directory: String, verify: Bool) -> [String] {
        var problems: [String] = []
        for shard in index.shards {
            let path = (directory as NSString).appendingPathComponent(shard.file)
            guard FileManager.default.fileExists(atPath: path) else { problems.append("\(shard.file) is missing"); continue }
            let reader: ShardReader
            do { reader = try ShardReader(path: path) } catch { problems.append(String(describing: error)); continue }
            defer { reader.close() }
            if reader.height != index.height || reader.width != index.width {
                problems.append("\(shard.file): frames are \(reader.width)×\(reader.height), index.json says \(index.width)×\(index.height)")
                continue
            }
            let listed = index.sequences.filter { $0.shard == shard.file }
            let stored = Set((try? reader.sequenceIDs()) ?? [])
            for id in stored.subtracting(listed.map(\.id)).sorted() {
                problems.append("\(shard.file): sequence \(id) is not in index.json")
            }
            var frame = [UInt8](repeating: 0, count: 3 * reader.height * reader.width)
            for sequence in listed {
                guard stored.contains(sequence.id) else {
                    problems.append("\(shard.file): sequence \(sequence.id) is missing (index.json lists it)")
                    continue
                }
                do {
                    let frames = try reader.frameCount(sequence.id)
                    guard frames == sequence.frames else {
                        problems.append("\(shard.file): sequence \(sequence.id) has \(frames) frames, index.json says \(sequence.frames)")
                        continue
                    }
                    if verify {
                        for t in 0..<frames {
                            try frame.withUnsafeMutableBufferPointer { try reader.readFrames(sequence.id, start: t, count: 1, into: $0) }
                        }
                    }
                } catch {
                    problems.append(String(describing: error))
                }
            }
        }
        return problems
    }

    // MARK: shard

    static func shard(_ file: HDF5File) throws -> (json: [String: Any], text: String) {
        let attributes = try attributesOf(file.root)
        let group = try file.root.openGroup("sequences")
        defer { group.close() }
        var sequences: [[String: Any]] = []
        var lines = ["shard \(file.path)", "  attributes " + render(attributes)]
        var totalFrames = 0
        for id in try group.childNames() {
            let dataset = try group.openDataset("\(id)/lab")
            defer { dataset.close() }
            let shape = try dataset.shape()
            let attrs = try attributesOf(dataset)
            totalFrames += shape.first ?? 0
            sequences.append(["id": id, "shape": shape, "bytes": dataset.storageSize(), "attributes": jsonAttributes(attrs)])
            lines.append("  \(id)  \(shape)  \(PrepSummary.bytes(dataset.storageSize()))  " + render(attrs.filter { $0.key != "source_path" }))
        }
        let size = try file.size()
        lines.insert("  \(sequences.count) sequences, \(totalFrames) frames, \(PrepSummary.bytes(size))", at: 2)
        return (["kind": "shard", "path": file.path, "bytes": size, "attributes": jsonAttributes(attributes),
                 "frames": totalFrames, "sequences": sequences], lines.joined(separator: "\n"))
    }

    // MARK: any HDF5 file

    static func generic(_ file: HDF5File) throws -> (json: [String: Any], text: String) {
        var lines = ["HDF5 file \(file.path), \(PrepSummary.bytes(try file.size()))"]
        let tree = try walk(file.root, depth: 1, lines: &lines)
        return (["kind": "hdf5", "path": file.path, "bytes": try file.size(), "root": tree], lines.joined(separator: "\n"))
    }

    static func walk(_ group: HDF5Group, depth: Int, lines: inout [String]) throws -> [String: Any] {
        let indent = String(repeating: "  ", count: depth)
        let attributes = try attributesOf(group)
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            lines.append(indent + "@\(name) = " + shortened(value.description))
        }
        var children: [[String: Any]] = []
        for (name, kind) in try group.children() {
            switch kind {
            case .group:
                lines.append(indent + name + "/")
                let child = try group.openGroup(name)
                defer { child.close() }
                var entry = try walk(child, depth: depth + 1, lines: &lines)
                entry["name"] = name
                children.append(entry)
            case .dataset:
                let dataset = try group.openDataset(name)
                defer { dataset.close() }
                let shape = try dataset.shape()
                let type = try dataset.typeDescription()
                let attrs = try attributesOf(dataset)
                lines.append(indent + "\(name)  \(type) \(shape)" + (attrs.isEmpty ? "" : "  " + render(attrs)))
                children.append(["name": name, "kind": "dataset", "type": type, "shape": shape,
                                 "bytes": dataset.storageSize(), "attributes": jsonAttributes(attrs)])
            case .other:
                lines.append(indent + name + "  (other object)")
                children.append(["name": name, "kind": "other"])
            }
        }
        return ["kind": "group", "attributes": jsonAttributes(attributes), "children": children]
    }

    // MARK: helpers

    static func attributesOf(_ object: HDF5Object) throws -> [String: HDF5AttributeValue] {
        var result: [String: HDF5AttributeValue] = [:]
        for name in try object.attributeNames() { result[name] = try object.attribute(name) }
        return result
    }

    static func jsonAttributes(_ attributes: [String: HDF5AttributeValue]) -> [String: Any] {
        attributes.mapValues { value -> Any in
            switch value {
            case .int(let v): return v
            case .double(let v): return v
            case .string(let v): return v
            case .ints(let v): return v
            case .doubles(let v): return v
            case .unsupported(let v): return "<\(v)>"
            }
        }
    }

    static func render(_ attributes: [String: HDF5AttributeValue]) -> String {
        attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\(shortened($0.value.description))" }.joined(separator: " ")
    }

    static func shortened(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 120 ? flat.prefix(117) + "… (\(flat.utf8.count) bytes)" : flat
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
    static func lpad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: " ", count: max(0, n - s.count)) + s }
}
