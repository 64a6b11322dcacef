import ArgumentParser
import CBLAS
import Distributed
import Foundation
import Net

/// `vcolor doctor`: checks that this machine (or cluster) can run vcolor.
///
/// Under `mpirun -np N vcolor doctor` every rank reports where it runs and how
/// many BLAS threads it uses, and the ranks verify the collectives the trainer
/// relies on (sum, average, bucketed non-blocking average, broadcast, and that
/// all replicas end bit-identical), then time an all-reduce of a large buffer.
/// Rank 0 prints the report. Without mpirun it runs as a single rank.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check MPI, threads and ffmpeg; measure all-reduce bandwidth (run under mpirun for many ranks).")

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "BLAS threads per rank (default: cores / ranks on the node).")
    var threads: Int?

    @Option(name: .long, help: "Size of the all-reduce bandwidth buffer in MB (0 skips the measurement).")
    var megabytes: Int = 100

    @Option(name: .long, help: "Timed all-reduce repetitions.")
    var repeats: Int = 3

    @Option(name: .long, help: .hidden)
    var failRank: Int?

    /// Trainable parameters of the seed model (docs/model.md), counted from Net's
    /// networks themselves (generator 43,926,146 + discriminator 663,425):
    /// what one step all-reduces. Building the generator allocates its ~350 MB
    /// of values and gradients for a moment, so only rank 0 does it.
    static func seedGradientParameters(on comm: Communicator) throws -> Int {
        var count: Int64 = 0
        if comm.isRoot {
            var rng = RandomGenerator(seed: 0)
            let config = ModelConfig()
            let g = try Generator(config: config, rng: &rng).parameters.trainableCount
            let d = try Discriminator(config: config, rng: &rng).parameters.trainableCount
            count = Int64(g + d)
        }
        return Int(try comm.allReduce(count, .sum))
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if megabytes < 0 { throw ValidationError("--megabytes must not be negative") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        // Probe the tools before MPI starts: forking after MPI_Init is unsafe
        // on some interconnects.
        let tools = ["ffmpeg", "ffprobe"].map { ToolVersion.probe($0) }
        try Communicator.runFinalizingOrAborting { comm in
            if let failRank, failRank == comm.rank {
                throw CommunicatorError("doctor: failing on purpose (--fail-rank \(failRank))")
            }
            ComputeThreads.set(threads ?? ComputeThreads.defaultCount(ranksOnNode: comm.localSize))
            var mine = try DoctorChecks.run(on: comm)
            mine.ffmpeg = tools[0]
            mine.ffprobe = tools[1]
            let ranks = try comm.allGather(json: mine)
            let bandwidth = try DoctorBandwidth.measure(on: comm, megabytes: megabytes, repeats: repeats,
                                                        gradientParameters: comm.size > 1 && megabytes > 0
                                                            ? try Self.seedGradientParameters(on: comm) : 0)
            let report = DoctorReport(comm: comm, ranks: ranks, bandwidth: bandwidth)
            if comm.isRoot {
                let text = json ? try report.jsonText() : report.table()
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
            try comm.barrier()
            if !report.ok {
                throw CommunicatorError("doctor: \(report.problems.joined(separator: "; "))")
            }
        }
    }
}

/// One rank's findings.
struct RankReport: Codable {
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

struct ToolVersion: Codable {
    var path: String?
    var version: String?

    /// Finds `name` on PATH and reads the version from `name -version`.
    static func probe(_ name: String) -> ToolVersion {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard let path = dirs.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return ToolVersion(path: nil, version: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-version"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return ToolVersion(path: path, version: nil) }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // "ffmpeg version 5.1.6-0+deb12u1 Copyright ..." → "5.1.6-0+deb12u1"
        let words = String(decoding: data, as: UTF8.self).split(separator: "\n").first?.split(separator: " ") ?? []
        let version = words.count > 2 && words[1] == "version" ? String(words[2]) : nil
        return ToolVersion(path: path, version: version)
    }
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
