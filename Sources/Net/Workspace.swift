/// Scratch memory shared by the layers of a network (Caffe's shared column buffer).
///
/// A convolution needs large temporary matrices — the im2col column matrix and a
/// channel-major copy of its input or output — only for the duration of one
/// `forward` or `backward` call. Giving every layer its own would multiply the
/// memory by the number of layers; instead layers borrow them from one pool,
/// which grows to the largest request it has seen and is then reused, so a
/// training step allocates nothing once the first step is done.
///
/// Pointers returned by `buffer(_:count:)` are valid only until the next request
/// for the same slot; a layer must not keep them across calls.
///
/// A workspace is **not thread-safe**: run one training or inference loop at a
/// time per workspace. `Workspace.shared` is the process-wide default; a second
/// concurrent loop must create its own `Workspace()` and pass it to its layers.
public final class Workspace {
    /// The independent buffers a layer may hold at the same time.
    public enum Slot: Int, CaseIterable, Sendable {
        /// The im2col / col2im column matrix.
        case columns
        /// A channel-major ([C, n·H·W]) copy of an activation or its gradient.
        case transposed
    }

    /// The process-wide default pool (see the thread-safety note above).
    nonisolated(unsafe) public static let shared = Workspace()

    private var pointers: [UnsafeMutablePointer<Float>?]
    private var capacities: [Int]

    public init() {
        pointers = Array(repeating: nil, count: Slot.allCases.count)
        capacities = Array(repeating: 0, count: Slot.allCases.count)
    }

    deinit {
        for p in pointers { p?.deallocate() }
    }

    /// At least `count` floats of scratch for `slot`; contents unspecified.
    /// Grows (reallocates) only when `count` exceeds every earlier request.
    public func buffer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        let i = slot.rawValue
        if count > capacities[i] || pointers[i] == nil {
            pointers[i]?.deallocate()
            let capacity = max(count, 1)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            p.initialize(repeating: 0, count: capacity)
            pointers[i] = p
            capacities[i] = capacity
        }
        return pointers[i]!
    }

    /// Floats currently held, all slots together.
    public var totalCapacity: Int { capacities.reduce(0, +) }

    /// Returns all memory to the system (e.g. after a benchmark).
    public func release() {
        for i in pointers.indices {
            pointers[i]?.deallocate()
            pointers[i] = nil
            capacities[i] = 0
        }
    }
}
