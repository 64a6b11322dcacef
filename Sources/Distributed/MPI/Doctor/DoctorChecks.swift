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
    var broadcastOK: Bool
    /// FNV-1a of the averaged buffer (hex): equal on all ranks when replicas stay identical.
    var checksum: String
    var ffmpeg: ToolVersion?
    var ffprobe: ToolVersion?
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

        // Broadcast: floats and a JSON payload from rank 0.
        var weights = [Float](repeating: comm.isRoot ? 0 : -1, count: 4096)
        if comm.isRoot { for i in weights.indices { weights[i] = Float(i) * 0.5 } }
        try weights.withUnsafeMutableBufferPointer { try comm.broadcast($0) }
        let token: [String: Int]? = comm.isRoot ? ["size": comm.size, "magic": 20_250_101] : nil
        let received = try comm.broadcast(json: token)
        let broadcastOK = weights.indices.allSatisfy { weights[$0] == Float($0) * 0.5 }
            && received == ["size": comm.size, "magic": 20_250_101]

        return RankReport(
            rank: comm.rank, host: comm.hostname, localRank: comm.localRank, localSize: comm.localSize,
            cores: ProcessInfo.processInfo.activeProcessorCount, blasThreads: ComputeThreads.count,
            threadLevel: threadLevelName(comm.threadLevel),
            allReduceSum: observedSum,
            allReduceMismatches: sumMismatches, averageMismatches: averageMismatches,
            bucketMismatches: bucketMismatches, broadcastOK: broadcastOK,
            checksum: String(grads.withUnsafeBufferPointer { fnv1a($0) }, radix: 16), ffmpeg: nil, ffprobe: nil)
    }

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
