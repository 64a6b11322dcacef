import Net

/// Weights can be finite and still unusable: values near Float's limit (3e38)
/// overflow in the first layers, and the network then answers NaN for every
/// frame (a grey film, a `nan` score) while every tensor passes `NonFinite`.
/// So a loaded model is run once on a probe frame and refused when what comes
/// out is not finite (docs/format.md §Loading); and its output on real frames
/// is checked before anything is made of it (`checkOutput`), since weights
/// that pass the probe may still overflow on another frame.
enum ForwardProbe {
    /// Runs `generator`, and `discriminator` on its answer, on one frame of the
    /// model's size: a lightness ramp from black (top left) to white (bottom
    /// right), so every input level occurs.
    static func check(_ generator: Generator, _ discriminator: Discriminator?, path: String) throws {
        let s = generator.config.size
        let L = Tensor(Shape(1, 1, s, s))
        for y in 0..<s {
            for x in 0..<s { L.data[y * s + x] = Float(x + y) / Float(s - 1) - 1 }
        }
        let ab = generator.forward(L: L, batch: 1, time: 1)
        guard NonFinite.allFinite(UnsafeBufferPointer(ab.buffer)) else {
            throw refusal("generator", generator.parameters, path: path)
        }
        if let discriminator, !NonFinite.allFinite(UnsafeBufferPointer(discriminator.forward(L: L, ab: ab).buffer)) {
            throw refusal("discriminator", discriminator.parameters, path: path)
        }
    }

    private static func refusal(_ network: String, _ parameters: ParameterSet, path: String) -> ModelFileError {
        let largest = parameters.values.reduce(Float(0)) { max($0, abs($1)) }
        return ModelFileError("\(path): the \(network)'s output on a probe frame is NaN or infinite although every weight is finite "
                              + "(the largest is \(largest)): the weights overflow; refusing them")
    }
}

extension LoadedModel {
    /// Throws when the generator's `output` (a*b* of some frames) holds a NaN
    /// or ±∞: drawn as colour it would be grey, scored it would be `nan`.
    /// - Parameter place: where in the input, for the message ("frames 0–7").
    public func checkOutput(_ output: Tensor, at place: @autoclosure () -> String) throws {
        guard NonFinite.allFinite(UnsafeBufferPointer(output.buffer)) else {
            throw ModelFileError("\(path): the model's output is NaN or infinite at \(place()); nothing is made of it")
        }
    }
}
