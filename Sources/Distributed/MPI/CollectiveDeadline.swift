import Foundation
import MPIShim

/// The one place every collective of the job waits: a non-blocking MPI call
/// completed by polling `MPI_Test` against a deadline, so a rank that hangs
/// alive (stopped, deadlocked, on a node gone from the network) cannot hang
/// the others forever. A dead rank is mpirun's business; a live but silent
/// one is only noticed here.
///
/// While polling, a waiting rank also answers *roll calls* on a private
/// communicator. When the deadline passes, the rank sends a roll call to
/// every other rank and gives them `rollCallSeconds` to answer: the ranks
/// that answer are alive and waiting in a collective (their answer carries
/// its sequence number, so a rank waiting in another collective, i.e. a
/// desynchronised job, is named as such); the ranks that do not answer are
/// the ones that never arrived. Then the job is ended through `MPI_Abort`
/// with a message naming the step, the call, and those
/// ranks. Every checkpoint is written atomically, so the newest one on disk
/// is intact whatever happens.
///
/// Cost: `MPI_Wait` itself busy-polls the progress engine, so polling
/// `MPI_Test` costs the same while data moves; the clock and the roll-call
/// queue are looked at only every 1024 polls, and only after a full second
/// of waiting does the loop sleep (100 µs) between polls (`idlePolling`).
struct CollectiveDeadline {
    /// Tags on the private roll-call communicator.
    static let rollCallTag: Int32 = 1
    static let answerTag: Int32 = 2

    /// Seconds a timed-out rank waits for answers to its roll call.
    static func rollCallSeconds(timeout: Double) -> Double { min(3, max(0.5, timeout / 2)) }
}

extension Communicator {
    /// Completes `request` (started by a non-blocking collective on `comm`),
    /// or ends the job once `collectiveTimeout` seconds have passed.
    func complete(_ request: inout MPI_Request?, _ what: @autoclosure () -> String) throws {
        var flag: Int32 = 0
        var polls = 0
        var sleeping = false
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            try mpiCheck(MPI_Test(&request, &flag, vc_mpi_status_ignore()), "MPI_Test (\(what()))")
            if flag != 0 { return }
            polls &+= 1
            if polls & 1023 != 0 {
                if sleeping { usleep(idlePolling.sleepMicroseconds) }
                continue
            }
            let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try answerRollCalls()
            if waited > collectiveTimeout { deadlinePassed(what(), waited: waited) }
            sleeping = waited > idlePolling.afterSeconds
        }
    }

    /// Answers every pending roll call with the sequence number of the
    /// collective this rank is waiting in.
    func answerRollCalls() throws {
        while true {
            var flag: Int32 = 0
            var status = MPI_Status()
            try mpiCheck(MPI_Iprobe(vc_mpi_any_source(), CollectiveDeadline.rollCallTag, watchComm, &flag, &status),
                         "MPI_Iprobe")
            guard flag != 0 else { return }
            var theirs: Int64 = 0
            try mpiCheck(MPI_Recv(&theirs, 1, vc_mpi_int64(), status.MPI_SOURCE, CollectiveDeadline.rollCallTag,
                                  watchComm, vc_mpi_status_ignore()), "MPI_Recv (roll call)")
            var mine = Int64(collectiveSequence)
            // One Int64 goes eagerly: the send returns at once even if the caller has given up.
            try mpiCheck(MPI_Send(&mine, 1, vc_mpi_int64(), status.MPI_SOURCE, CollectiveDeadline.answerTag, watchComm),
                         "MPI_Send (roll call answer)")
        }
    }

    /// Finds out which ranks did not arrive and ends the job with a message naming them.
    func deadlinePassed(_ what: String, waited: Double) -> Never {
        let others = (0..<size).filter { $0 != rank }
        // Buffers of the non-blocking calls must outlive them: never freed, the process ends below.
        let mine = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        mine.pointee = Int64(collectiveSequence)
        let answers = UnsafeMutablePointer<Int64>.allocate(capacity: size)
        answers.initialize(repeating: -1, count: size)
        var sends = [MPI_Request?](repeating: vc_mpi_request_null(), count: size)
        var receives = [MPI_Request?](repeating: vc_mpi_request_null(), count: size)
        for r in others {
            MPI_Isend(mine, 1, vc_mpi_int64(), Int32(r), CollectiveDeadline.rollCallTag, watchComm, &sends[r])
            MPI_Irecv(answers + r, 1, vc_mpi_int64(), Int32(r), CollectiveDeadline.answerTag, watchComm, &receives[r])
        }
        var answered = Set<Int>()
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(CollectiveDeadline.rollCallSeconds(timeout: collectiveTimeout) * 1e9)
        while answered.count < others.count && DispatchTime.now().uptimeNanoseconds < end {
            try? answerRollCalls()
            for r in others where !answered.contains(r) {
                var flag: Int32 = 0
                MPI_Test(&receives[r], &flag, vc_mpi_status_ignore())
                if flag != 0 { answered.insert(r) }
            }
            usleep(1000)
        }
        let missing = others.filter { !answered.contains($0) }
        let elsewhere = answered.sorted().filter { answers[$0] != mine.pointee }
        var message = "collective deadline passed: waited \(Int(waited.rounded())) s (--collective-timeout \(formatSeconds(collectiveTimeout)))"
            + " in \(what)\(step.map { " during step \($0)" } ?? "")"
        if !missing.isEmpty {
            message += "; rank(s) \(missing.map(String.init).joined(separator: ", ")) did not arrive (stopped, hung, or cut off from the network)"
        }
        if !elsewhere.isEmpty {
            message += "; rank(s) \(elsewhere.map(String.init).joined(separator: ", ")) wait in another collective (the ranks are out of step)"
        }
        if missing.isEmpty && elsewhere.isEmpty { message += "; every rank answered, the collective itself is stuck" }
        abort(message + "; ending the job (checkpoints on disk are complete)")
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(s)
}
