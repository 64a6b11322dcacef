import ArgumentParser
import Distributed
import Foundation

/// `vcolor doctor`: MPI, threads and ffmpeg on every rank (`Doctor`).
struct DoctorCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check MPI, threads and ffmpeg; measure all-reduce bandwidth (run under mpirun for many ranks).")

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false
    @OptionGroup var threads: ThreadOptions
    @Option(name: .long, help: "Size of the all-reduce bandwidth buffer in MB (0 skips the measurement).")
    var megabytes: Int = 100
    @Option(name: .long, help: "Timed all-reduce repetitions.")
    var repeats: Int = 3

    @Option(name: .customLong("allreduce-precision"),
            help: "Precision of the timed all-reduce: fp32, or bf16 (as train --allreduce-precision bf16).")
    var allreducePrecision: AllReducePrecision = .fp32
    @Option(name: .long, help: "Data set directory every rank must see identically (checks DIR/index.json on each host).")
    var data: String?
    @Option(name: .long, help: .hidden)
    var failRank: Int?
    @OptionGroup var logging: LoggingOptions

    var options: Doctor.Options {
        var o = Doctor.Options()
        (o.json, o.threads, o.megabytes, o.repeats, o.failRank) = (json, threads.threads, megabytes, repeats, failRank)
        (o.precision, o.data) = (allreducePrecision, data)
        return o
    }

    func validate() throws {
        try threads.check()
        try options.validate()
    }

    func run() throws {
        try Doctor.run(options) { text in FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    }
}
