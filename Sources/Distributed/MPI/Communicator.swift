import Console
import Foundation
import MPIShim

/// This process's place in the MPI job, and the collectives the trainer uses.
///
/// One per process (`Communicator.world()`): MPI can be initialised only once.
/// Under `mpirun -np N` it spans the N ranks; started without a launcher it is
/// an OpenMPI *singleton* of one rank, so the same code path trains on one
/// machine with no special cases. A singleton needs what OpenMPI 4.1's
/// `ess singleton` needs: it forks a local `orted` (found through OpenMPI's
/// install prefix) and checks that the `plm_rsh_agent` (ssh/rsh) exists; a
/// singleton never starts remote daemons, so when no launcher is detected we
/// default that agent to empty, which lets containers without ssh start.
/// It does not need `OMPI_ALLOW_RUN_AS_ROOT` (only `mpirun` refuses root).
///
/// Errors: the communicator uses `MPI_ERRORS_RETURN`; every failed call throws
/// `MPIError`. A rank that cannot go on must call `abort(_:)`, which ends the
/// whole job through `MPI_Abort` so no other rank waits forever in a
/// collective. (`mpirun` also tears the job down, within about a second here,
/// when any rank exits non-zero, dies on a signal, or exits 0 without
/// `MPI_Finalize`; `abort` makes the failure explicit and names the rank.)
public final class Communicator: @unchecked Sendable {
    /// Rank in the job (0 is the writer of checkpoints and logs).
    public let rank: Int
    /// Number of ranks in the job.
    public let size: Int
    /// Rank among the ranks sharing this node (MPI_COMM_TYPE_SHARED).
    public let localRank: Int
    /// Number of ranks sharing this node: divide the cores by this.
    public let localSize: Int
    /// MPI's name for this node (MPI_Get_processor_name).
    public let hostname: String
    /// The thread level MPI granted (at least MPI_THREAD_FUNNELED).
    public let threadLevel: Int32
    /// True when started without mpirun/srun (an OpenMPI singleton).
    public let isSingleton: Bool

    /// Private duplicate of MPI_COMM_WORLD, so library traffic never matches
    /// messages of other code using the world communicator.
    let comm: MPI_Comm
    let nodeComm: MPI_Comm
    /// A second duplicate for the roll call of `CollectiveDeadline`, so its
    /// point-to-point messages never mix with the collectives.
    let watchComm: MPI_Comm

    /// Seconds any collective may wait for the other ranks before the job is
    /// ended (`--collective-timeout`); see `CollectiveDeadline`.
    public var collectiveTimeout: Double = Communicator.defaultCollectiveTimeout
    /// Five minutes: longer than rank 0 ever keeps the others waiting while it
    /// writes a checkpoint or validates, far shorter than a lost night.
    public static let defaultCollectiveTimeout: Double = 300
    /// How a collective waits once the others are late (`CollectiveDeadline`):
    /// after `afterSeconds` of polling without a pause it sleeps
    /// `sleepMicroseconds` between polls. Training's waits are short and its
    /// steps quick: a second, then 100 µs. A colorize team's ranks wait
    /// minutes for each other (the plan, the last chunks) while the others
    /// work, and every poll of MPI's progress engine is CPU taken from them.
    public var idlePolling: (afterSeconds: Double, sleepMicroseconds: UInt32) = (1, 100)
    /// The training step in progress, if any, for the deadline message.
    public var step: Int?
    /// Collectives completed or waited for so far: equal on ranks in step.
    var collectiveSequence = 0
    /// The bf16 sum (`BFloat16.makeSumOperation`) for `--allreduce-precision bf16`.
    let bf16Sum: MPI_Op

    public var isRoot: Bool { rank == 0 }

    // MARK: - Process-wide state

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: Communicator?
    nonisolated(unsafe) private static var finalized = false

    /// The job's communicator, initialising MPI on first use.
    public static func world() throws -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        if finalized { throw CommunicatorError("MPI was already finalised in this process") }
        let c = try Communicator()
        shared = c
        Console.setRank(c.rank, of: c.size)
        return c
    }

    /// The communicator if MPI has been initialised by `world()`, else nil.
    public static var current: Communicator? {
        lock.lock()
        defer { lock.unlock() }
        return finalized ? nil : shared
    }

    /// True when a launcher (mpirun/orterun or srun with PMIx) started us.
    /// Meaningful only before MPI starts: a singleton's MPI_Init sets PMIX_RANK
    /// in its own environment (which child processes then inherit).
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil
    }

    /// The world's size as the launcher tells it in the environment, before
    /// MPI starts (mpirun: OMPI_COMM_WORLD_SIZE; srun: SLURM_NTASKS).
    static var launcherWorldSize: Int? {
        let env = ProcessInfo.processInfo.environment
        return (env["OMPI_COMM_WORLD_SIZE"] ?? env["SLURM_NTASKS"]).flatMap { Int($0) }
    }

    /// The algorithm Open MPI's non-blocking all-reduce (libnbc) should run
    /// for a world of `ranks` (its MCA parameter `coll_libnbc_iallreduce_algorithm`).
    ///
    /// Left to choose, libnbc runs every in-place call (all of ours), every
    /// call below 4 ranks or 64 KiB and every non-commutative one as a
    /// binomial tree: a reduce to rank 0 and a broadcast back, the whole buffer
    /// crossing a link in one direction at a time, log2(p) times each way.
    /// Reduce-scatter + allgather (3, Rabenseifner's) moves 2(p−1)/p of the
    /// buffer in both directions at once in 2·log2(p) rounds: half the time of
    /// a 100 MB all-reduce on a 1 Gb/s link (docs/training.md, "Over TCP
    /// between hosts"). But it works on a power of two: other world sizes first
    /// fold pairs of ranks into one and at the end send the whole result back
    /// to the folded ranks, two more buffers on the longest path, so 3 ranks
    /// took longer than 4. The ring (1) moves the same 2(p−1)/p for any p, in
    /// 2(p−1) rounds, and was faster on 3 testbed hosts at every link and
    /// precision measured (docs/cluster.md §6, which also says up to how many
    /// ranks its extra rounds cost less than the fold). Buffers of fewer
    /// elements than the largest power of two ≤ p, and non-commutative ops
    /// (the bf16 sum must stay commutative), fall back to the ring anyway.
    static func allReduceAlgorithm(ranks: Int?) -> String {
        guard let ranks, ranks > 2, ranks & (ranks - 1) != 0 else { return "3" }
        return "1"
    }

    private init() throws {
        var alreadyInitialised: Int32 = 0
        MPI_Initialized(&alreadyInitialised)
        let singleton = !Communicator.launchedByMPI
        if alreadyInitialised == 0 {
            if singleton { setenv("OMPI_MCA_plm_rsh_agent", "", 0) }
            // A setting in the environment or from mpirun --mca wins.
            setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm",
                   Communicator.allReduceAlgorithm(ranks: Communicator.launcherWorldSize), 0)
            var provided: Int32 = 0
            // Errors during MPI_Init use the default fatal handler: there is no
            // communicator yet to set MPI_ERRORS_RETURN on.
            try mpiCheck(MPI_Init_thread(nil, nil, vc_mpi_thread_serialized(), &provided), "MPI_Init_thread")
            threadLevel = provided
        } else {
            var provided: Int32 = 0
            MPI_Query_thread(&provided)
            threadLevel = provided
        }
        isSingleton = singleton
        let world: MPI_Comm = vc_mpi_comm_world()
        try mpiCheck(MPI_Comm_set_errhandler(world, vc_mpi_errors_return()), "MPI_Comm_set_errhandler")
        guard threadLevel >= vc_mpi_thread_funneled() else {
            throw CommunicatorError("MPI granted thread level \(threadLevel); vcolor needs at least MPI_THREAD_FUNNELED")
        }

        var dup: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_dup(world, &dup), "MPI_Comm_dup")
        comm = dup!
        try mpiCheck(MPI_Comm_set_errhandler(comm, vc_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var watch: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_dup(world, &watch), "MPI_Comm_dup")
        watchComm = watch!
        try mpiCheck(MPI_Comm_set_errhandler(watchComm, vc_mpi_errors_return()), "MPI_Comm_set_errhandler")

        var r: Int32 = 0, s: Int32 = 0
        try mpiCheck(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try mpiCheck(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)

        var node: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_split_type(comm, vc_mpi_comm_type_shared(), r, vc_mpi_info_null(), &node),
                     "MPI_Comm_split_type")
        nodeComm = node!
        try mpiCheck(MPI_Comm_set_errhandler(nodeComm, vc_mpi_errors_return()), "MPI_Comm_set_errhandler")
        try mpiCheck(MPI_Comm_rank(nodeComm, &r), "MPI_Comm_rank")
        try mpiCheck(MPI_Comm_size(nodeComm, &s), "MPI_Comm_size")
        localRank = Int(r)
        localSize = Int(s)

        var name = [CChar](repeating: 0, count: Int(vc_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try mpiCheck(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        hostname = String(cString: name)
        bf16Sum = try BFloat16.makeSumOperation()
    }

    // MARK: - Life cycle

    /// Waits until every rank has arrived.
    public func barrier() throws {
        guard size > 1 else { return }
        var request: MPI_Request? = vc_mpi_request_null()
        collectiveSequence &+= 1
        try mpiCheck(MPI_Ibarrier(comm, &request), "MPI_Ibarrier")
        try complete(&request, "MPI_Barrier")
    }

    /// Ends the whole job: prints `message` (one line, prefixed with the rank)
    /// on stderr and calls MPI_Abort, which makes mpirun kill every rank.
    /// Use it for any error one rank cannot recover from, because the other
    /// ranks would otherwise block in their next collective.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        // The rank is in every line already (Console.setRank); the host says where it died.
        Logger(label: "vcolor").critical("\(message)", metadata: size > 1 ? ["host": "\(hostname)"] : [:])
        MPI_Abort(vc_mpi_comm_world(), code)
        exit(code)  // MPI_Abort does not return; this is for the type checker.
    }

    /// Shuts MPI down. Every rank must call it once before exiting 0 (mpirun
    /// treats an exit without it as a failure). Later calls do nothing.
    public static func finalize() {
        lock.lock()
        defer { lock.unlock() }
        guard !finalized else { return }
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        if initialised != 0 {
            var done: Int32 = 0
            MPI_Finalized(&done)
            if done == 0 {
                if let shared {
                    var op: MPI_Op? = shared.bf16Sum
                    MPI_Op_free(&op)
                    var c: MPI_Comm? = shared.nodeComm
                    MPI_Comm_free(&c)
                    c = shared.watchComm
                    MPI_Comm_free(&c)
                    c = shared.comm
                    MPI_Comm_free(&c)
                }
                MPI_Finalize()
            }
        }
        finalized = true
        shared = nil
    }

    /// Runs `body` (a subcommand's work). If it throws on a multi-rank job the
    /// job is aborted with the error's text, so no rank hangs; on one rank the
    /// error is rethrown for the usual one-line message and non-zero exit.
    /// On success MPI is finalised.
    public static func runFinalizingOrAborting(_ body: (Communicator) throws -> Void) throws {
        let communicator = try world()
        do {
            try body(communicator)
        } catch {
            if communicator.size > 1 { communicator.abort(String(describing: error)) }
            throw error
        }
        finalize()
    }
}
