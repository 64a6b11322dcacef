/// Joins two NCHW tensors along channels: per image, all of `a`'s channels,
/// then all of `b`'s (the U-Net's `concat(previous, skip)`, docs/model.md).
///
/// Both pieces of an image are contiguous runs (`ca·h·w` and `cb·h·w` floats),
/// so forward and backward are two block copies per image.
public final class Concat {
    private let output = Tensor(Shape(0, 0))
    private let gradientA = Tensor(Shape(0, 0))
    private let gradientB = Tensor(Shape(0, 0))
    private var shapeA = Shape(0, 0), shapeB = Shape(0, 0)

    public init() {}

    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape.n == b.shape.n && a.shape.h == b.shape.h && a.shape.w == b.shape.w,
                     "Concat: shapes \(a.shape) and \(b.shape) differ outside channels")
        shapeA = a.shape
        shapeB = b.shape
        let n = a.shape.n, la = a.shape.perImage, lb = b.shape.perImage
        output.resize(Shape(n, a.shape.c + b.shape.c, a.shape.h, a.shape.w))
        let pa = a.data, pb = b.data, dst = output.data
        ParallelChunks.run(n, grain: max(1, (1 << 16) / max(la + lb, 1))) { r in
            for img in r {
                let out = dst + img * (la + lb)
                out.update(from: pa + img * la, count: la)
                (out + la).update(from: pb + img * lb, count: lb)
            }
        }
        return output
    }

    /// Splits `dy` back into the gradients of the first and second input.
    public func backward(_ dy: Tensor) -> (Tensor, Tensor) {
        precondition(dy.shape == output.shape, "Concat.backward: gradient \(dy.shape) for output \(output.shape)")
        gradientA.resize(shapeA)
        gradientB.resize(shapeB)
        let n = shapeA.n, la = shapeA.perImage, lb = shapeB.perImage
        let src = dy.data, ga = gradientA.data, gb = gradientB.data
        ParallelChunks.run(n, grain: max(1, (1 << 16) / max(la + lb, 1))) { r in
            for img in r {
                let g = src + img * (la + lb)
                (ga + img * la).update(from: g, count: la)
                (gb + img * lb).update(from: g + la, count: lb)
            }
        }
        return (gradientA, gradientB)
    }
}
