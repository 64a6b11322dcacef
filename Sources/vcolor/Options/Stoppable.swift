import Console
import Storage

/// Runs `work` with SIGINT, SIGTERM and SIGUSR1 turned into a stop at the
/// work's next safe point (`StopSignal`). On a stop it logs one line, what
/// happened and `kept` (what the user still has), and dies by the signal, as a
/// shell or a batch system expects of an interrupted command.
func stoppable<T>(_ label: String, kept: @autoclosure () -> String, _ work: () throws -> T) throws -> T {
    try stoppable(label, kept: kept, work)
}

/// `stoppable` with what is kept said as it is when the stop comes.
func stoppable<T>(_ label: String, kept: () -> String, _ work: () throws -> T) throws -> T {
    StopSignal.install()
    do {
        return try work()
    } catch let stop as StoppedBySignal {
        Logger(label: label).error("\(stop); \(kept())")
        StopSignal.dieBy(stop.signal)
    }
}
