import Foundation
import Net

/// Faults that tests inject into a real run through hidden options, kept in
/// one place: the trainer calls `beforeStep` and `afterStep` once per step,
/// outside the step itself, and with no option given they do nothing.
///
/// - `--nan-at-step N`: poisons step N's input with a NaN (the NaN-loss stop).
/// - `--kill-rank R --kill-at-step N [--kill-signal S]`: rank R sends itself
///   signal S (default KILL; TERM, INT, USR1 for a graceful stop on one rank,
///   STOP for a rank that hangs alive) after step N.
public struct FaultInjection {
    let nanAtStep: Int?
    let signal: (rank: Int, step: Int, signal: Int32)?

    init(options: TrainingOptions, rank: Int) {
        nanAtStep = options.nanAtStep
        if let r = options.killRank, let s = options.killAtStep, r == rank {
            signal = (r, s, options.killSignal)
        } else {
            signal = nil
        }
    }

    /// Before step `step` (1-based) computes.
    func beforeStep(_ step: Int, input: Tensor) {
        if nanAtStep == step { input.data[0] = .nan }
    }

    /// After step `step` and its checkpoint.
    func afterStep(_ step: Int) {
        if let signal, signal.step == step { kill(getpid(), signal.signal) }
    }

    /// The signal named by `--kill-signal` (KILL, TERM, INT, USR1, STOP).
    public static func signal(named name: String) -> Int32? {
        ["KILL": SIGKILL, "TERM": SIGTERM, "INT": SIGINT, "USR1": SIGUSR1, "STOP": SIGSTOP][name.uppercased()]
    }
}
