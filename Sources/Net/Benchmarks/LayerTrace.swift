/// What the layers that multiply matrices (convolutions, transposed
/// convolutions, the LSTM) did, pass by pass as they ran: the shapes each
/// saw and the multiply-adds it counts for the pass, in `Architecture.Layer.macsPerFrame`'s
/// convention. It is how `ArchitectureTests` checks the built networks, the
/// description they are built from and `StepCost` against each other.
///
/// Off unless `record` is running: then each such layer appends an entry per
/// pass. Off, a pass costs one load of `current`.
final class LayerTrace {
    enum Pass: Equatable { case forward, weightGradient, inputGradient }

    /// A pass of the layer named `layer` ("down2.conv", "lstm") over `input`, giving `output`.
    struct Entry: Equatable {
        var layer: String, pass: Pass
        var input, output: Shape
        var macs: Int
    }

    private(set) var entries: [Entry] = []

    /// The trace being recorded, nil when none is: one at a time, on the thread that runs the layers.
    nonisolated(unsafe) private static var current: LayerTrace?

    /// Runs `body` with tracing on and returns what the layers recorded.
    static func record(_ body: () throws -> Void) rethrows -> [Entry] {
        precondition(current == nil, "LayerTrace.record is already running")
        let trace = LayerTrace()
        current = trace
        defer { current = nil }
        try body()
        return trace.entries
    }

    /// A layer's forward pass.
    @inline(__always)
    static func forward(_ layer: String, input: Shape, output: Shape, macs: Int) {
        current?.entries.append(Entry(layer: layer, pass: .forward, input: input, output: output, macs: macs))
    }

    /// A layer's backward pass: the weight gradients, the input gradient, or both.
    @inline(__always)
    static func backward(_ layer: String, weights: Bool, inputGradient: Bool, input: Shape, output: Shape,
                         macs: Int) {
        guard let trace = current else { return }
        if weights { trace.entries.append(Entry(layer: layer, pass: .weightGradient, input: input, output: output, macs: macs)) }
        if inputGradient { trace.entries.append(Entry(layer: layer, pass: .inputGradient, input: input, output: output, macs: macs)) }
    }
}
