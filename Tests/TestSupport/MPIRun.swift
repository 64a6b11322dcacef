import Foundation

/// `mpirun` from the PATH, or nil.
public func mpirun() -> URL? { executableOnPath("mpirun") }

/// This process's environment without MPI's variables: once the test process
/// has become an MPI singleton (CommunicatorTests), OpenMPI has put PMIX_RANK
/// and friends into it, and a child inheriting them would join this
/// process's MPI job instead of starting its own.
public func environmentWithoutMPI() -> [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
        !["OMPI_", "PMIX_", "OPAL_", "ORTE_"].contains { key.hasPrefix($0) }
    }
}

/// The environment `mpirun` needs to start as root (as in CI containers).
public func mpirunEnvironment() -> [String: String] {
    var env = environmentWithoutMPI()
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return env
}

/// `mpirun -np ranks --oversubscribe [launcherOptions…] vcolor arguments…`
/// with a deadline; `launcherOptions` are mpirun's own (e.g. `--mca btl
/// self,tcp` to send between ranks over TCP instead of shared memory).
public func runUnderMPI(ranks: Int, _ arguments: [String], timeout: TimeInterval,
                        launcherOptions: [String] = []) throws -> ProcessOutput {
    guard let mpirun = mpirun() else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey:
            "mpirun is not on PATH (apt install openmpi-bin)"])
    }
    return try runProcess(mpirun, ["-np", String(ranks), "--oversubscribe"] + launcherOptions + [vcolorBinary().path] + arguments,
                          environment: mpirunEnvironment(), timeout: timeout)
}

/// `vcolor train arguments…` on one rank (no launcher) or under mpirun, with a deadline.
public func runTrain(_ arguments: [String], ranks: Int, timeout: TimeInterval,
                     launcherOptions: [String] = []) throws -> ProcessOutput {
    if ranks == 1 {
        return try runProcess(vcolorBinary(), ["train"] + arguments, environment: environmentWithoutMPI(), timeout: timeout)
    }
    return try runUnderMPI(ranks: ranks, ["train"] + arguments, timeout: timeout, launcherOptions: launcherOptions)
}

/// The per-rank parameter checksums `train --print-checksum` prints as its last stdout line.
public func printedChecksums(_ output: ProcessOutput) throws -> [String] {
    guard let line = output.stdout.split(separator: "\n").last else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no checksum line: \(output.stderr)"])
    }
    return try JSONDecoder().decode([String: [String]].self, from: Data(line.utf8))["checksums"] ?? []
}
