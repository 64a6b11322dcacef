/// The processes that colourise one film together, as a chunked colorize
/// needs them: who this one is, how many there are, and a barrier. The
/// executable implements it with MPI (`mpirun -np N vcolor colorize …`); a
/// process started alone is a team of one. Colorize itself does not link MPI.
///
/// An error on any member must end the whole team (under MPI: `MPI_Abort`
/// through mpirun), so no member waits at the barrier forever.
public protocol ColorizeTeam: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Returns when every member has called it.
    func barrier() throws
}

/// One process alone.
public final class SoloTeam: ColorizeTeam {
    public let rank = 0
    public let size = 1
    public init() {}
    public func barrier() {}
}
