import Foundation

/// All-reduce timing of a large buffer, the slowest rank's time per repeat.
public struct BandwidthReport: Codable {
    var megabytes: Double
    /// fp32, or bf16 (half the bytes on the wire for the same buffer).
    var precision: String
    var ranks: Int
    /// Median over repeats of the slowest rank's time, seconds.
    var seconds: Double
    /// Buffer bytes / time.
    var algorithmGBps: Double
    /// Bytes a ring all-reduce moves per rank, 2(n−1)/n · bytes, / time
    /// (nccl-tests' "bus bandwidth", comparable across rank counts).
    var busGBps: Double
    var gradientParameters: Int
    /// Estimated all-reduce time of the seed model's whole gradient, seconds.
    var gradientSeconds: Double
}

enum DoctorBandwidth {
    /// Times `repeats` all-reduces of `megabytes` MB of floats; nil on one rank
    /// (nothing to reduce) or when `megabytes` is 0.
    static func measure(on comm: Communicator, megabytes: Int, repeats: Int, precision: AllReducePrecision = .fp32,
                        gradientParameters: Int) throws -> BandwidthReport? {
        guard comm.size > 1, megabytes > 0 else { return nil }
        let count = megabytes * 1_000_000 / MemoryLayout<Float>.stride
        var buffer = [Float](repeating: 1, count: count)
        var times: [Double] = []
        let bf16 = precision == .bf16 ? BFloat16Average(communicator: comm, count: count) : nil
        func reduce(_ b: UnsafeMutableBufferPointer<Float>) throws {
            if let bf16 { try bf16.average(b) } else { try comm.allReduceSum(b) }
        }
        try buffer.withUnsafeMutableBufferPointer { b in
            try reduce(b)  // warm-up: connections and buffers
            for _ in 0..<repeats {
                try comm.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try reduce(b)
                let t = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                times.append(try comm.allReduce(t, .max))
            }
        }
        let seconds = times.sorted()[times.count / 2]
        let bytes = Double(count * MemoryLayout<Float>.stride)
        let n = Double(comm.size)
        let gradientBytes = Double(gradientParameters * MemoryLayout<Float>.stride)
        return BandwidthReport(
            megabytes: bytes / 1e6, precision: precision.rawValue, ranks: comm.size, seconds: seconds,
            algorithmGBps: bytes / seconds / 1e9, busGBps: bytes * 2 * (n - 1) / n / seconds / 1e9,
            gradientParameters: gradientParameters, gradientSeconds: seconds * gradientBytes / bytes)
    }
}

/// What rank 0 prints.
public struct DoctorReport: Codable {
    var mpiLibrary: String
    var size: Int
    var nodes: Int
    var singleton: Bool
    var ranks: [RankReport]
    var bandwidth: BandwidthReport?
    var replicasIdentical: Bool
    var ok: Bool
    var problems: [String]
    var warnings: [String]

    init(comm: Communicator, ranks: [RankReport], bandwidth: BandwidthReport?) {
        mpiLibrary = Distributed.mpiLibraryVersion.split(separator: ",").first.map(String.init) ?? ""
        size = comm.size
        nodes = Set(ranks.map(\.host)).count
        singleton = comm.isSingleton
        self.ranks = ranks
        self.bandwidth = bandwidth
        replicasIdentical = Set(ranks.map(\.checksum)).count == 1 && Set(ranks.map(\.bf16Checksum)).count == 1
        let expected = Float(comm.size * (comm.size + 1) / 2)
        var problems: [String] = []
        for r in ranks {
            if r.allReduceSum != expected || r.allReduceMismatches > 0 {
                problems.append("rank \(r.rank): all-reduce sum wrong (\(r.allReduceMismatches) bad elements, element 0 = \(r.allReduceSum), expected \(expected))")
            }
            if r.averageMismatches > 0 { problems.append("rank \(r.rank): all-reduce average wrong in \(r.averageMismatches) elements") }
            if r.bucketMismatches > 0 { problems.append("rank \(r.rank): bucketed all-reduce wrong in \(r.bucketMismatches) elements") }
            if r.progressedBuckets < r.progressBuckets {
                problems.append("rank \(r.rank): only \(r.progressedBuckets) of \(r.progressBuckets) non-blocking buckets progressed while the rank computed (gradient averaging would not overlap backward)")
            }
            if r.bf16Mismatches > 0 { problems.append("rank \(r.rank): bf16 all-reduce average wrong in \(r.bf16Mismatches) elements") }
            if let index = r.dataIndex, !DoctorChecks.isDigest(index) { problems.append("rank \(r.rank) on \(r.host): data set \(index)") }
            if !r.broadcastOK { problems.append("rank \(r.rank): broadcast from rank 0 arrived wrong") }
            if r.gathered != (0..<comm.size).map(DoctorChecks.gatheredValue) {
                problems.append("rank \(r.rank): all-gather of one value per rank arrived wrong (\(r.gathered))")
            }
        }
        let indexes = Set(ranks.compactMap(\.dataIndex))
        if indexes.count > 1, indexes.allSatisfy(DoctorChecks.isDigest) {
            problems.append("the data set's index.json differs between hosts (every node needs the same data at the same path)")
        }
        if !replicasIdentical { problems.append("ranks disagree on the averaged buffer (replicas would drift)") }
        var warnings: [String] = []
        for host in Set(ranks.map(\.host)).sorted() {
            let onHost = ranks.filter { $0.host == host }
            let threads = onHost.map(\.blasThreads).reduce(0, +)
            if let cores = onHost.first?.cores, threads > cores {
                warnings.append("\(host): \(onHost.count) ranks × BLAS threads = \(threads) threads on \(cores) cores (oversubscribed; lower --threads)")
            }
        }
        let missing = ranks.filter { $0.ffmpeg?.path == nil }.map(\.host)
        if !missing.isEmpty {
            warnings.append("ffmpeg not found on PATH on \(Set(missing).sorted().joined(separator: ", ")) (needed by prep and colorize)")
        }
        self.problems = problems
        self.warnings = warnings
        ok = problems.isEmpty
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        var lines: [String] = []
        lines.append("vcolor doctor: \(size) rank\(size == 1 ? "" : "s") on \(nodes) node\(nodes == 1 ? "" : "s")"
            + " (\(mpiLibrary)\(singleton ? ", singleton without mpirun" : ""), thread level \(ranks.first?.threadLevel ?? "?"))")
        let header = ["rank", "host", "local", "cores", "blas", "ffmpeg"]
        let rows = ranks.map { r in
            [String(r.rank), r.host, "\(r.localRank)/\(r.localSize)", String(r.cores), String(r.blasThreads),
             r.ffmpeg?.version ?? (r.ffmpeg?.path == nil ? "missing" : "?")]
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        for row in [header] + rows {
            lines.append(row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        let expected = size * (size + 1) / 2
        lines.append("collectives: " + (ok
            ? "ok (sum of rank+1 = \(expected) on every rank; average, bucketed Iallreduce and its progress during compute, bf16 average, broadcast; replicas identical)"
            : "FAILED"))
        for p in problems { lines.append("  problem: \(p)") }
        let indexes = Set(ranks.compactMap(\.dataIndex))
        if indexes.count == 1, let index = indexes.first, DoctorChecks.isDigest(index) {
            lines.append("data set: the same index.json on every host (\(nodes) node\(nodes == 1 ? "" : "s"))")
        }
        if let b = bandwidth {
            lines.append(String(format: "all-reduce of %.0f MB (\(b.precision) on the wire) over %d ranks: %.3f s (median of slowest rank) = %.2f GB/s algorithm, %.2f GB/s bus",
                                b.megabytes, b.ranks, b.seconds, b.algorithmGBps, b.busGBps))
            lines.append(String(format: "seed-model gradient (%.1f M parameters, %.0f MB): about %.3f s per step to all-reduce",
                                Double(b.gradientParameters) / 1e6, Double(b.gradientParameters * 4) / 1e6, b.gradientSeconds))
        } else {
            lines.append("all-reduce bandwidth: not measured (one rank; run under mpirun -np N)")
        }
        for w in warnings { lines.append("warning: \(w)") }
        return lines.joined(separator: "\n")
    }
}
