/// The shape of an activation tensor: NCHW, four dimensions.
///
/// A fixed-size struct rather than `[Int]`, so that reshaping in the training
/// loop never touches the heap. A clip batch `[B, T, C, H, W]` is `n = B*T`;
/// vectors and matrices use trailing ones (`[n, c, 1, 1]`).
public struct Shape: Equatable, Hashable, CustomStringConvertible, Sendable {
    public var n: Int
    public var c: Int
    public var h: Int
    public var w: Int

    public init(_ n: Int, _ c: Int, _ h: Int = 1, _ w: Int = 1) {
        precondition(n >= 0 && c >= 0 && h >= 0 && w >= 0, "negative dimension")
        self.n = n; self.c = c; self.h = h; self.w = w
    }

    /// Number of elements.
    @inlinable public var count: Int { n * c * h * w }
    /// Elements in one image (`c*h*w`).
    @inlinable public var perImage: Int { c * h * w }
    /// Elements in one channel plane (`h*w`).
    @inlinable public var plane: Int { h * w }

    public var description: String { "[\(n), \(c), \(h), \(w)]" }
}
