#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT, SIGTERM and SIGUSR1 as a request to stop at the next safe point,
/// instead of death on the spot.
///
/// A signal handler may only do async-signal-safe things, so the handler just
/// records the signal in an atomic; the program looks at `received` where it
/// can stop without losing work (`train` after a step, `colorize` and `prep`
/// between frames) and cleans up on its ordinary error path. A second signal
/// while the first is pending restores the default action and re-raises
/// itself: a user pressing Ctrl-C twice gets the immediate exit they asked for.
///
/// SIGUSR1 is in the set because `mpirun` forwards it to every rank (SIGTERM
/// to `mpirun` is followed by SIGKILL within a second) and SLURM's
/// `--signal=B:USR1@…` sends it ahead of a time limit or preemption.
public enum StopSignal {
    /// The signals treated as a request to stop.
    public static let handled: [Int32] = [SIGINT, SIGTERM, SIGUSR1]

    /// 0, or the first stop signal received.
    private static let pending = Atomic<Int32>(0)

    /// Installs the handlers (idempotent). Call it once work that can stop
    /// cleanly begins, after libraries (MPI) have installed theirs.
    public static func install() {
        _ = pending.load(ordering: .relaxed)  // initialise the global here, not inside the handler
        // Restart interrupted reads and writes: the stop happens where the program checks, not in a syscall.
        for signal in handled { setAction(signal, handle, flags: Int32(SA_RESTART)) }
    }

    /// The signal asking to stop, or nil.
    public static var received: Int32? {
        let s = pending.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Forgets a received signal (tests; a program stops once).
    public static func reset() { pending.store(0, ordering: .relaxed) }

    /// "SIGINT", "SIGTERM", "SIGUSR1", or "signal N".
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(signal)"
        }
    }

    /// Ends the process the way the signal would have without a handler, so
    /// a parent (shell, script) sees "killed by SIGINT": call it after cleaning up.
    public static func dieBy(_ signal: Int32) -> Never {
        setAction(signal, SIG_DFL)
        raise(signal)
        _exit(128 + signal)
    }

    /// The handler: async-signal-safe calls only (atomic exchange, sigaction, raise).
    private static let handle: @convention(c) (Int32) -> Void = { signal in
        let (first, _) = pending.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
        if !first {
            setAction(signal, SIG_DFL)
            raise(signal)
        }
    }

    /// `sigaction` with `handler` (a C function or SIG_DFL) and an empty mask;
    /// async-signal-safe, so the handler itself may call it.
    private static func setAction(_ signal: Int32, _ handler: (@convention(c) (Int32) -> Void)?, flags: Int32 = 0) {
        var action = sigaction()
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = handler
        #else
        action.__sigaction_handler.sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = flags
        sigaction(signal, &action, nil)
    }
}

/// The error a long-running command throws when a stop signal arrived and its
/// temporaries are gone; the command line ends the process with `StopSignal.dieBy`.
public struct StoppedBySignal: Error, CustomStringConvertible {
    public let signal: Int32
    public init(_ signal: Int32) { self.signal = signal }
    public var description: String { "stopped by \(StopSignal.name(signal))" }
}
