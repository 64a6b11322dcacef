import Foundation
import Media
import Net

/// `vcolor doctor`: checks that this machine (or cluster) can run vcolor.
///
/// Under `mpirun -np N vcolor doctor` every rank reports where it runs and how
/// many BLAS threads it uses, and the ranks verify the collectives the trainer
/// relies on (sum, average, bucketed non-blocking average, broadcast, and that
/// all replicas end bit-identical), then time an all-reduce of a large buffer.
/// Rank 0 prints the report. Without mpirun it runs as a single rank.
public enum Doctor {
    public struct Options {
        /// One JSON object instead of a table.
        public var json = false
        /// BLAS threads per rank; nil: cores / ranks on the node.
        public var threads: Int?
        /// Size of the all-reduce bandwidth buffer; 0 skips the measurement.
        public var megabytes = 100
        public var repeats = 3
        /// This rank fails on purpose (tests of the abort path).
        public var failRank: Int?
        /// Precision of the timed all-reduce (as `train --allreduce-precision`).
        public var precision: AllReducePrecision = .fp32
        /// A data set every rank must see identically (its index.json is compared across hosts).
        public var data: String?
        public init() {}

        public func validate() throws {
            if let threads, threads < 1 { throw DoctorError("--threads must be at least 1") }
            if megabytes < 0 { throw DoctorError("--megabytes must not be negative") }
            if repeats < 1 { throw DoctorError("--repeats must be at least 1") }
        }
    }

    /// Runs the checks on every rank; rank 0 hands the report's text to `output`.
    /// Throws (aborting a multi-rank job) when a check failed.
    public static func run(_ options: Options, output: (String) -> Void) throws {
        // Probe ffmpeg before MPI starts: forking after MPI_Init is unsafe
        // on some interconnects.
        let ffmpeg = ToolVersion.probe("ffmpeg")
        try Communicator.runFinalizingOrAborting { comm in
            if let failRank = options.failRank, failRank == comm.rank {
                throw CommunicatorError("doctor: failing on purpose (--fail-rank \(failRank))")
            }
            ComputeThreads.set(options.threads ?? ComputeThreads.defaultCount(ranksOnNode: comm.localSize))
            var mine = try DoctorChecks.run(on: comm)
            mine.dataIndex = options.data.map { DoctorChecks.indexDigest(dataDirectory: $0) }
            mine.ffmpeg = ffmpeg
            let ranks = try comm.allGather(json: mine)
            let measureGradient = comm.size > 1 && options.megabytes > 0
            let bandwidth = try DoctorBandwidth.measure(
                on: comm, megabytes: options.megabytes, repeats: options.repeats, precision: options.precision,
                gradientParameters: measureGradient ? try seedGradientParameters(on: comm) : 0)
            let report = DoctorReport(comm: comm, ranks: ranks, bandwidth: bandwidth)
            if comm.isRoot { output(options.json ? try report.jsonText() : report.table()) }
            try comm.barrier()
            if !report.ok {
                throw CommunicatorError("doctor: \(report.problems.joined(separator: "; "))")
            }
        }
    }

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
}

/// A doctor option the checks cannot run with.
public struct DoctorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
