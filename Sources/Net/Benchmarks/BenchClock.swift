import CBLAS
import Foundation

/// The clock, statistics and reference measurements the benchmarks share.
public enum BenchClock {
    /// Monotonic seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Seconds `body` takes.
    public static func seconds(_ body: () -> Void) -> Double {
        let start = now()
        body()
        return now() - start
    }

    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
    }

    /// The process's peak resident set (Linux reports ru_maxrss in KiB).
    public static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Median GFLOP/s of OpenBLAS's own `C = A·B` on n×n matrices, with OpenBLAS
    /// threading itself over the current compute-thread count: the machine's
    /// ceiling that the training step is judged against (vcolor's kernels run
    /// OpenBLAS single-threaded on their own pool; see `ComputeThreads`).
    public static func sgemmGflops(n: Int) -> Double {
        openblas_set_num_threads(Int32(ComputeThreads.count))
        defer { openblas_set_num_threads(1) }
        let count = n * n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = RandomGenerator(seed: 99)
        for i in 0..<count { a[i] = rng.nextUniform() - 0.5; b[i] = rng.nextUniform() - 0.5 }
        c.initialize(repeating: 0, count: count)
        let n32 = Int32(n)
        func call() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, c, n32)
        }
        call()
        var times: [Double] = []
        let deadline = now() + 1.5
        while times.count < 5 || (times.count < 50 && now() < deadline) {
            times.append(seconds(call))
        }
        return 2 * Double(n) * Double(n) * Double(n) / median(times) / 1e9
    }
}

/// The few JSON values a benchmark line holds, written in field order.
public enum BenchValue {
    case string(String)
    case int(Int)
    case number(Double)

    var text: String {
        switch self {
        case let .string(s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        case let .int(i): return String(i)
        case let .number(x): return x.isFinite ? String(format: "%.6g", x) : "null"
        }
    }

    /// One JSON object on one line.
    public static func line(_ fields: [(String, BenchValue)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}"
    }
}
