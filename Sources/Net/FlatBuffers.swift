/// Flat buffers allocated together, each filled with its starting value, and
/// freed together when the last owner lets go: the memory behind a
/// `ParameterSet` (held by its parameters too), Adam's moments, the moving
/// average and BatchNorm's statistics. Their owners keep the buffers as
/// `UnsafeMutableBufferPointer`s for the hot loops and this object for the
/// lifetime, so none of them needs a `deinit` to keep in step with its fields.
final class FlatBuffers<Element> {
    let buffers: [UnsafeMutableBufferPointer<Element>]

    /// One buffer per `(count, value)`, in order.
    init(_ layout: [(count: Int, value: Element)]) {
        buffers = layout.map { count, value in
            let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
            buffer.initialize(repeating: value)
            return buffer
        }
    }

    subscript(index: Int) -> UnsafeMutableBufferPointer<Element> { buffers[index] }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }
}
