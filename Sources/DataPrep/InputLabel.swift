import Foundation

/// `--label NAME=PATH`: what an input holds (real camera footage, a photograph
/// turned into a pan, animation…), written into the index so a data set can be
/// counted and split by it. Every input at PATH, or under it when PATH is a
/// directory, carries NAME in its `sources` and `sequences` records; where
/// several PATHs hold an input, the longest names it. Inputs no label names
/// have no `label` key.
public struct InputLabel: Equatable, Sendable {
    public var name: String
    public var path: String

    static let maximumNameLength = 64

    /// The label of every still (`--stills`): prep's own, so no `--label` gives it.
    public static let still = "still"

    /// Names are short words (a-z, 0-9, `.`, `_`, `-`) so they read the same in
    /// JSON, file names and tables.
    func validate() throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
        guard !name.isEmpty, name.count <= Self.maximumNameLength, allowed else {
            throw PrepError("--label \(name)=\(path): a label is 1–\(Self.maximumNameLength) of a-z 0-9 . _ - (got '\(name)')")
        }
        guard !path.isEmpty else { throw PrepError("--label \(name)=: give the path of the inputs it names") }
    }

    /// The inputs with their labels set. A PATH that holds none of the inputs is
    /// an error (a typo would otherwise leave data unlabelled without a word),
    /// and so is one PATH given two names. Stills keep their label `still`: a
    /// `--label` named `still`, or at or inside a `--stills` path, is an error,
    /// and one around a `--stills` path labels the other inputs only.
    static func apply(_ labels: [InputLabel], to inputs: [PrepInput], stills: [String] = []) throws -> [PrepInput] {
        let roots = labels.map { (label: $0, root: InputScanner.absolute($0.path)) }
        let stillRoots = stills.map(InputScanner.absolute)
        for (label, root) in roots {
            if label.name == still {
                throw PrepError("--label \(label.name)=\(label.path): the label \(still) is for photos given with --stills")
            }
            if let stillRoot = stillRoots.first(where: { holds($0, root) }) {
                throw PrepError("--label \(label.name)=\(label.path): inside --stills \(stillRoot), whose photos are labelled \(still)")
            }
        }
        for (i, a) in roots.enumerated() {
            if let b = roots[..<i].first(where: { $0.root == a.root && $0.label.name != a.label.name }) {
                throw PrepError("--label \(a.label.name)=\(a.label.path) and --label \(b.label.name)=\(b.label.path) name the same inputs")
            }
        }
        for (label, root) in roots where !inputs.contains(where: { holds(root, $0.path) }) {
            throw PrepError("--label \(label.name)=\(label.path): no input is \(root) or inside it")
        }
        let labelled = inputs.map { input -> PrepInput in
            guard input.kind != .still else { return input }
            var input = input
            input.label = roots.filter { holds($0.root, input.path) }.max { $0.root.count < $1.root.count }?.label.name
            return input
        }
        return labelled
    }

    /// Whether `path` is `root` or lies inside it (both absolute and standardised).
    static func holds(_ root: String, _ path: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}

// In an extension so that the struct keeps Swift's memberwise
// `init(name:path:)`, which `init(parsing:)` and the tests build labels with.
extension InputLabel {
    /// `NAME=PATH`, split at the first `=` (a path may hold more); nil without
    /// one. The name's characters are checked by `validate`.
    public init?(parsing text: String) {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        self.init(name: String(text[..<equals]), path: String(text[text.index(after: equals)...]))
    }
}
