import Foundation

/// One unit of work for prep: a video file, a single image, a directory's
/// images as one sequence, or a photo (`--stills`) that becomes short clips
/// with a synthetic camera path. Its `path` (absolute, standardised)
/// identifies it in the index and on resume.
public struct PrepInput: Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case video, image, imageSequence = "image_sequence", still }

    public var kind: Kind
    /// The file, or for an image sequence the directory.
    public var path: String
    /// For an image sequence: its images in name order.
    public var images: [String] = []
    /// What it holds, from `--label` (see `InputLabel`); nil when no label names it.
    /// Always `still` for a still.
    public var label: String?
    /// For a still: its path below the `--stills` folder that holds it (its
    /// file name when that names the file itself), which seeds its camera paths.
    public var stillKey: String?

    /// The name stored as a sequence's `source` attribute.
    public var name: String { (path as NSString).lastPathComponent }
}

/// An input that could not be used, and why (one line).
public struct SkippedInput: Codable, Equatable, Sendable {
    public var path: String
    public var reason: String
}

/// Expands command-line paths into inputs (docs/format.md §Command line): files as given; directories
/// searched recursively, where each directory's images form one image sequence
/// (in natural name order: frame2 before frame10) and each video is its own
/// input. Files in directories that are neither are ignored; hidden files too.
/// At or below a `--stills` path every image is an input of its own, a still;
/// a `--stills` path no argument holds is searched as one more argument.
public enum InputScanner {
    public static let imageExtensions: Set<String> = [
        "png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "ppm", "pgm", "pnm", "pbm",
        "tga", "dpx", "exr", "jp2", "sgi", "pcx", "qoi",
    ]
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "mpe", "m2v", "ts", "m2ts", "mts",
        "vob", "wmv", "asf", "flv", "f4v", "ogv", "ogg", "3gp", "3g2", "mxf", "dv", "gif", "y4m",
        "rm", "rmvb", "divx", "nut", "h264", "264", "hevc", "h265", "ivf", "mjpeg", "mjpg", "apng",
    ]

    static func isImage(_ path: String) -> Bool { imageExtensions.contains((path as NSString).pathExtension.lowercased()) }
    static func isVideo(_ path: String) -> Bool { videoExtensions.contains((path as NSString).pathExtension.lowercased()) }

    /// Inputs sorted by path (so work order, sequence ids and the split are
    /// deterministic), and the paths that are missing or hold no media.
    public static func scan(_ arguments: [String], stills: [String] = []) -> (inputs: [PrepInput], skipped: [SkippedInput]) {
        var inputs: [PrepInput] = []
        var skipped: [SkippedInput] = []
        let fm = FileManager.default
        let roots = stills.map(absolute)
        let covered = arguments.map(absolute)
        let extra = zip(stills, roots).filter { _, root in !covered.contains { InputLabel.holds($0, root) } }.map(\.0)
        for argument in arguments + extra {
            let path = absolute(argument)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                skipped.append(SkippedInput(path: argument, reason: "no such file or directory"))
                continue
            }
            if isDirectory.boolValue {
                var visited = Set<DirectoryIdentity>()
                let found = scanDirectory(path, stills: roots, visited: &visited)
                if found.isEmpty {
                    skipped.append(SkippedInput(path: argument, reason: "directory holds no video or image files"))
                }
                inputs += found
            } else if isImage(path), let key = stillKey(path, roots: roots) {
                inputs.append(PrepInput(kind: .still, path: path, label: InputLabel.still, stillKey: key))
            } else {
                inputs.append(PrepInput(kind: isImage(path) ? .image : .video, path: path))
            }
        }
        // The same file named twice (or via a directory and directly) is one input.
        var seen = Set<String>()
        inputs = inputs.filter { seen.insert($0.path).inserted }
        inputs.sort { $0.path < $1.path }
        return (inputs, skipped)
    }

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(expanded)
        return url.standardizedFileURL.path
    }

    /// A directory's device and inode: a directory reached twice (a symbolic
    /// link back up the tree, a loop of links) is read once, so the walk ends.
    struct DirectoryIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// The path of `path` below the longest stills root holding it (its name
    /// when the root is the file itself); nil when no root holds it.
    static func stillKey(_ path: String, roots: [String]) -> String? {
        guard let root = roots.filter({ InputLabel.holds($0, path) }).max(by: { $0.count < $1.count }) else { return nil }
        return root == path ? (path as NSString).lastPathComponent : String(path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
    }

    static func scanDirectory(_ directory: String, stills: [String], visited: inout Set<DirectoryIdentity>) -> [PrepInput] {
        let fm = FileManager.default
        var info = stat()
        guard stat(directory, &info) == 0,
              visited.insert(DirectoryIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))).inserted else { return [] }
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var images: [String] = []
        var inputs: [PrepInput] = []
        for name in names where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                inputs += scanDirectory(path, stills: stills, visited: &visited)
            } else if isImage(path), let key = stillKey(path, roots: stills) {
                inputs.append(PrepInput(kind: .still, path: path, label: InputLabel.still, stillKey: key))
            } else if isImage(path) {
                images.append(path)
            } else if isVideo(path) {
                inputs.append(PrepInput(kind: .video, path: path))
            }
        }
        if !images.isEmpty {
            images.sort { naturalLess(($0 as NSString).lastPathComponent, ($1 as NSString).lastPathComponent) }
            inputs.append(PrepInput(kind: .imageSequence, path: directory, images: images))
        }
        return inputs
    }

    /// Name order with digit runs compared as numbers ("f2" < "f10").
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
        var x = i.next(), y = j.next()
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0.value >= 48 && $0.value <= 57 } ?? false }
        while let cx = x, let cy = y {
            if isDigit(cx) && isDigit(cy) {
                var nx = "", ny = ""
                while isDigit(x) { nx.unicodeScalars.append(x!); x = i.next() }
                while isDigit(y) { ny.unicodeScalars.append(y!); y = j.next() }
                let tx = nx.drop { $0 == "0" }, ty = ny.drop { $0 == "0" }
                if tx.count != ty.count { return tx.count < ty.count }
                if tx != ty { return tx < ty }
                if nx.count != ny.count { return nx.count < ny.count }
                continue
            }
            if cx != cy { return cx.value < cy.value }
            x = i.next(); y = j.next()
        }
        return x == nil && y != nil
    }
}
