import DataPrep
import Foundation
import Media
import Net

/// One rank's findings.
public struct RankReport: Codable {
    var rank: Int
    var host: String
    var localRank: Int
    var localSize: Int
    var cores: Int
    var blasThreads: Int
    var threadLevel: String
    /// Element 0 of the all-reduce sum of (rank + 1): n(n+1)/2 when correct.
    var allReduceSum: Float
    var allReduceMismatches: Int
    var averageMismatches: Int
    var bucketMismatches: Int
    /// Buckets a helper thread finished while this rank made no MPI call for
    /// 0.5 s, of `progressBuckets` (all of them when overlap can work).
    var progressedBuckets: Int
    var progressBuckets: Int
    /// Elements of the bf16 average off the directly computed rounding
    /// (exact for 2 ranks; within the rounding bound for more).
    var bf16Mismatches: Int
    /// FNV-1a of the bf16-averaged buffer: equal on all ranks.
    var bf16Checksum: String
    var broadcastOK: Bool
    /// What this rank's all-gather of one value per rank into a fixed buffer
    /// (the trainer's per-step compute times) received: rank r sent 1 / (2r + 3).
    var gathered: [Double]
    /// FNV-1a of the averaged buffer (hex): equal on all ranks when replicas stay identical.
    var checksum: String
    /// `--data DIR`: FNV-1a of DIR/index.json as this rank reads it, or
    /// "missing: …" or "unusable: …" (`DoctorChecks.isDigest` tells them apart).
    var dataIndex: String?
    var ffmpeg: ToolVersion?
}

/// The correctness checks of the collectives.
enum DoctorChecks {
    static func run(on comm: Communicator) throws -> RankReport {
        let n = 1 << 20
        let pattern = { (i: Int) -> Float in Float(i % 7 + 1) }
        let total = Float(comm.size * (comm.size + 1) / 2)

        // Sum: rank r contributes (r + 1) · pattern.
        var buffer = [Float](repeating: 0, count: n)
        for i in 0..<n { buffer[i] = Float(comm.rank + 1) * pattern(i) }
        try buffer.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
        let sumMismatches = (0..<n).filter { buffer[$0] != total * pattern($0) }.count
        let observedSum = buffer[0]  // pattern(0) == 1

        // Average: the same contributions, divided by size.
        for i in 0..<n { buffer[i] = Float(comm.rank + 1) * pattern(i) }
        try buffer.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
        let mean = total / Float(comm.size)
        let averageMismatches = (0..<n).filter { abs(buffer[$0] - mean * pattern($0)) > 1e-6 * mean * pattern($0) }.count

        // Bucketed, non-blocking average, buckets started last first as in backward.
        var grads = [Float](repeating: 0, count: n + 12_345)
        for i in grads.indices { grads[i] = Float(comm.rank + 1) * pattern(i) }
        let bucketMismatches = try grads.withUnsafeMutableBufferPointer { g -> Int in
            let buckets = try GradientBuckets(communicator: comm, buffer: g, bucketBytes: 1 << 20)
            for b in stride(from: buckets.count - 1, through: 1, by: -1) { try buckets.bucketReady(b) }
            try buckets.waitAll()  // starts bucket 0 itself
            return (0..<g.count).filter { abs(g[$0] - mean * pattern($0)) > 1e-6 * mean * pattern($0) }.count
        }

        // Progress while computing: start every bucket, then do no MPI call
        // for half a second (as a rank in backward); the helper thread that
        // training uses (--progress-us) must finish them meanwhile.
        let (progressed, progressBuckets) = try grads.withUnsafeMutableBufferPointer { g -> (Int, Int) in
            guard comm.size > 1 else { return (0, 0) }
            let buckets = try GradientBuckets(communicator: comm, buffer: g, bucketBytes: 1 << 20)
            let progress = BucketProgress(buckets: buckets, intervalMicroseconds: 1000)
            defer { progress.stop() }
            try comm.barrier()
            try progress.exclusive { for b in stride(from: buckets.count - 1, through: 0, by: -1) { try buckets.bucketReady(b) } }
            progress.activate()
            usleep(500_000)
            try progress.deactivate()
            try buckets.waitAll()
            return (buckets.finishedBeforeWait, buckets.count)
        }

        // bf16 average: values that bf16 cannot hold exactly, so both the
        // rounding of each contribution and of the sum are exercised.
        let value = { (r: Int, i: Int) -> Float in Float(r + 1) * (1 + Float(i % 997) / 1013) * (i % 2 == 0 ? 1 : -0.37) }
        var half = [Float](repeating: 0, count: n)
        for i in 0..<n { half[i] = value(comm.rank, i) }
        let average = BFloat16Average(communicator: comm, count: n)
        try half.withUnsafeMutableBufferPointer { try average.average($0) }
        let bf16Mismatches = (0..<n).filter { i in
            if comm.size == 1 { return half[i] != value(0, i) }
            if comm.size == 2 {  // the one reduction step MPI can take: bf16(bf16(a) + bf16(b)), then × 1/2 in fp32
                let sum = BFloat16.narrow(BFloat16.widen(BFloat16.narrow(value(0, i))) + BFloat16.widen(BFloat16.narrow(value(1, i))))
                return half[i] != BFloat16.widen(sum) * (1 / Float(2))
            }
            // More ranks: the summation order is MPI's; each of the 2N roundings is within 2⁻⁸ relative.
            let exact = (0..<comm.size).map { Double(value($0, i)) }.reduce(0, +) / Double(comm.size)
            return abs(Double(half[i]) - exact) > Double(2 * comm.size) * 0x1p-8 * abs(exact)
        }.count

        // Broadcast: floats and a JSON payload from rank 0.
        var weights = [Float](repeating: comm.isRoot ? 0 : -1, count: 4096)
        if comm.isRoot { for i in weights.indices { weights[i] = Float(i) * 0.5 } }
        try weights.withUnsafeMutableBufferPointer { try comm.broadcast($0) }
        let token: [String: Int]? = comm.isRoot ? ["size": comm.size, "magic": 20_250_101] : nil
        let received = try comm.broadcast(json: token)
        let broadcastOK = weights.indices.allSatisfy { weights[$0] == Float($0) * 0.5 }
            && received == ["size": comm.size, "magic": 20_250_101]

        // All-gather of one value per rank into a buffer allocated once, as
        // the trainer gathers compute times: 1/3, 1/5, ..., which use every mantissa bit.
        let gathered = UnsafeMutableBufferPointer<Double>.allocate(capacity: comm.size)
        defer { gathered.deallocate() }
        gathered.initialize(repeating: -1)
        try comm.allGather(gatheredValue(rank: comm.rank), into: gathered)

        return RankReport(
            rank: comm.rank, host: comm.hostname, localRank: comm.localRank, localSize: comm.localSize,
            cores: ProcessInfo.processInfo.activeProcessorCount, blasThreads: ComputeThreads.count,
            threadLevel: threadLevelName(comm.threadLevel),
            allReduceSum: observedSum,
            allReduceMismatches: sumMismatches, averageMismatches: averageMismatches,
            bucketMismatches: bucketMismatches,
            progressedBuckets: progressed, progressBuckets: progressBuckets, bf16Mismatches: bf16Mismatches,
            bf16Checksum: String(half.withUnsafeBufferPointer { fnv1a($0) }, radix: 16), broadcastOK: broadcastOK,
            gathered: Array(gathered),
            checksum: String(grads.withUnsafeBufferPointer { fnv1a($0) }, radix: 16), dataIndex: nil,
            ffmpeg: nil)
    }

    /// Rank `rank`'s value in the all-gather check.
    static func gatheredValue(rank: Int) -> Double { 1 / Double(2 * rank + 3) }

    /// FNV-1a of DIR/index.json's bytes (hex), or why it cannot be read or
    /// used: equal on every host when the data set is shared (or copied
    /// identically). The same bytes everywhere say nothing of a file train
    /// would refuse (not JSON, incomplete, a shard missing), so the index is
    /// checked as train checks it.
    static func indexDigest(dataDirectory: String) -> String {
        let path = (dataDirectory as NSString).appendingPathComponent(DataPrep.indexFileName)
        guard let bytes = FileManager.default.contents(atPath: path) else { return "missing: cannot read \(path)" }
        do { _ = try DatasetIndex.load(dataDirectory) } catch { return "unusable: \(error)" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// Whether a `dataIndex` is a digest, not why there is none.
    static func isDigest(_ dataIndex: String) -> Bool { dataIndex.allSatisfy(\.isHexDigit) }

    static func threadLevelName(_ level: Int32) -> String {
        ["single", "funneled", "serialized", "multiple"][Int(max(0, min(3, level)))]
    }

    static func fnv1a(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<4 {
                h = (h ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
        return h
    }
}
