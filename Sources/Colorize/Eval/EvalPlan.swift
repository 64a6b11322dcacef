import DataPrep
import ModelFiles

/// What an evaluation reads: the split's sequences in index order, whole,
/// until the frame budget runs out (the last one cut short), after checking
/// that every model works at the data set's frame size.
struct EvalPlan {
    let size: Int
    let items: [(sequence: DatasetIndex.Sequence, frames: Int)]
    var frames: Int { items.reduce(0) { $0 + $1.frames } }

    init(data: String, split: String, maxFrames: Int?, models: [LoadedModel]) throws {
        let index = try DatasetIndex.load(data)
        guard index.width == index.height else {
            throw EvalError("\(data): frames are \(index.width)×\(index.height); eval needs square frames")
        }
        size = index.width
        for m in models where m.config.size != size {
            throw EvalError("\(m.path): the model works on \(m.config.size)² frames but \(data) holds \(size)² frames")
        }
        let sequences = index.sequences(split: split)
        guard !sequences.isEmpty else {
            let splits = Set(index.sequences.map(\.split)).sorted().joined(separator: ", ")
            throw EvalError("\(data): no sequences in split '\(split)' (splits: \(splits.isEmpty ? "none" : splits))")
        }
        var items: [(DatasetIndex.Sequence, Int)] = []
        var budget = maxFrames ?? Int.max
        for s in sequences where budget > 0 {
            let n = min(s.frames, budget)
            items.append((s, n))
            budget -= n
        }
        self.items = items
    }
}
