/// A contiguous Float32 array with an NCHW shape.
///
/// Storage is sized once and reused (Caffe's reshape idea): `resize` grows the
/// allocation only when a larger shape arrives, so after the first training
/// step nothing is allocated. A tensor is either an owner of its storage or a
/// view into memory owned elsewhere (parameters live in one flat buffer per
/// network, see `ParameterSet`).
public final class Tensor {
    public private(set) var shape: Shape
    public private(set) var data: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int
    private let owned: Bool

    /// A zero-filled tensor that owns its storage.
    public init(_ shape: Shape) {
        self.shape = shape
        self.capacity = max(shape.count, 1)
        self.data = .allocate(capacity: capacity)
        self.data.initialize(repeating: 0, count: capacity)
        self.owned = true
    }

    /// A zero-filled tensor that owns its storage.
    public convenience init(_ n: Int, _ c: Int, _ h: Int = 1, _ w: Int = 1) {
        self.init(Shape(n, c, h, w))
    }

    /// A view of `shape.count` floats at `pointer`; the caller keeps the memory alive.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: Shape) {
        self.shape = shape
        self.capacity = shape.count
        self.data = pointer
        self.owned = false
    }

    deinit {
        if owned { data.deallocate() }
    }

    /// Points a view at other memory (a micro-batch of a larger batch), without
    /// allocating: the step loop reuses one view object per input.
    public func rebind(viewing pointer: UnsafeMutablePointer<Float>, shape: Shape) {
        precondition(!owned, "only a view can be rebound")
        self.shape = shape
        self.capacity = shape.count
        self.data = pointer
    }

    @inlinable public var count: Int { shape.count }

    /// The elements as a buffer pointer (for hot loops in release builds).
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: shape.count)
    }

    /// Gives the tensor a new shape. Grows the allocation only when needed; the
    /// contents are unspecified afterwards unless the count is unchanged.
    public func resize(_ newShape: Shape) {
        if newShape.count > capacity {
            precondition(owned, "cannot grow a view")
            data.deallocate()
            capacity = newShape.count
            data = .allocate(capacity: capacity)
            data.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
    }

    /// Sets every element to zero.
    public func zero() {
        data.update(repeating: 0, count: shape.count)
    }

    /// Copies `other`'s shape and contents into this tensor.
    public func copy(from other: Tensor) {
        resize(other.shape)
        data.update(from: other.data, count: other.count)
    }

    /// The contents as an array (tests, I/O; allocates).
    public func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: data, count: count))
    }

    /// A new owning tensor holding `values` (tests, I/O; allocates).
    public convenience init(_ shape: Shape, _ values: [Float]) {
        precondition(values.count == shape.count, "\(values.count) values for shape \(shape)")
        self.init(shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }
}
