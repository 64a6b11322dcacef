import Colorize
import Distributed

/// The ranks of `mpirun -np N vcolor colorize …` as colorize's team.
///
/// A barrier waits as long as it takes: rank 0 finds a film's cuts before the
/// others start (minutes for a feature), and the last chunks end when they
/// end. A rank that dies ends the job through mpirun, so nothing waits forever
/// on a dead rank; the deadline that guards training's collectives would only
/// end a healthy colorize.
final class MPIColorizeTeam: ColorizeTeam {
    let communicator: Communicator
    var rank: Int { communicator.rank }
    var size: Int { communicator.size }

    init(_ communicator: Communicator) {
        self.communicator = communicator
        communicator.collectiveTimeout = .infinity
        // Its waits are long and latency does not matter: a rank polling MPI
        // 10,000 times a second took CPU from the ranks still working (docs/colorize.md).
        communicator.idlePolling = (0, 2000)
    }

    func barrier() throws { try communicator.barrier() }
}
