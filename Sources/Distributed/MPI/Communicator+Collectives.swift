import Foundation
import MPIShim

/// MPI counts are Int32; larger buffers go in slices of this many elements.
let maxElementsPerCall = 1 << 30

extension Communicator {
    // MARK: - All-reduce

    /// Reduces `buffer` element-wise across all ranks, in place; every rank
    /// ends with the same result.
    public func allReduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, _ operation: ReduceOperation) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        try inPieces(buffer.count, "MPI_Allreduce") { offset, n, request in
            try mpiCheck(MPI_Iallreduce(vc_mpi_in_place(), base + offset, Int32(n), T.mpiDatatype, operation.mpiOp, comm,
                                        &request), "MPI_Iallreduce of \(n) elements")
        }
    }

    /// Runs a collective over `count` elements in pieces MPI's Int32 counts can
    /// hold: `start` begins the non-blocking call for one piece, and each piece
    /// completes through the deadline-aware wait before the next begins.
    private func inPieces(_ count: Int, _ name: String,
                          _ start: (_ offset: Int, _ n: Int, _ request: inout MPI_Request?) throws -> Void) throws {
        var offset = 0
        while offset < count {
            let n = min(maxElementsPerCall, count - offset)
            var request: MPI_Request? = vc_mpi_request_null()
            collectiveSequence &+= 1
            try start(offset, n, &request)
            try complete(&request, "\(name) of \(n) elements")
            offset += n
        }
    }

    /// Sums `buffer` across ranks in place.
    public func allReduceSum<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try allReduce(buffer, .sum)
    }

    /// Averages `buffer` across ranks in place: sum, then multiply by 1/size
    /// (the same float on every rank, so replicas stay bit-identical).
    public func allReduceAverage(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try allReduce(buffer, .sum)
        scale(buffer, by: 1 / Float(size))
    }

    /// Averages `buffer` across ranks in place with bf16 on the wire
    /// (`AllReducePrecision.bf16`): rounds it into `wire` (same count, the
    /// caller's scratch), sums the bf16 values with fp32 adds, and writes
    /// sum × 1/size back in fp32, identically on every rank.
    public func allReduceAverage(_ buffer: UnsafeMutableBufferPointer<Float>, wire: UnsafeMutableBufferPointer<UInt16>) throws {
        guard size > 1 else { return }
        guard wire.count == buffer.count, let base = wire.baseAddress else {
            throw CommunicatorError("bf16 all-reduce: wire buffer holds \(wire.count) elements, gradients \(buffer.count)")
        }
        BFloat16.narrow(buffer, into: wire)
        // Non-blocking start and wait, so the wait is the one every
        // non-blocking collective uses (AllReduceRequest.wait).
        var offset = 0
        while offset < wire.count {
            let n = min(maxElementsPerCall, wire.count - offset)
            let slice = UnsafeMutableBufferPointer(start: base + offset, count: n)
            try startAllReduceSum(UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + n]), bf16: slice).wait()
            offset += n
        }
        BFloat16.widen(wire, into: buffer, scaledBy: 1 / Float(size))
    }

    /// Averages `buffer` across ranks in place (double precision).
    public func allReduceAverage(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try allReduce(buffer, .sum)
        if size > 1 {
            let s = 1 / Double(size)
            for i in buffer.indices { buffer[i] *= s }
        }
    }

    /// Reduces one value across ranks (a loss, a step time, a flag).
    public func allReduce<T: MPIScalar>(_ value: T, _ operation: ReduceOperation) throws -> T {
        var v = value
        try withUnsafeMutablePointer(to: &v) { try allReduce(UnsafeMutableBufferPointer(start: $0, count: 1), operation) }
        return v
    }

    /// Starts a non-blocking in-place sum of `buffer` (MPI_Iallreduce). The
    /// buffer must stay alive and untouched until the request completes.
    /// Every rank must start its non-blocking collectives in the same order.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> AllReduceRequest {
        let request = AllReduceRequest(buffer: buffer, communicator: self)
        guard size > 1, let base = buffer.baseAddress, buffer.count > 0 else { return request }
        guard buffer.count <= maxElementsPerCall else {
            throw CommunicatorError("non-blocking all-reduce of \(buffer.count) elements: split it into buckets")
        }
        collectiveSequence &+= 1
        try mpiCheck(MPI_Iallreduce(vc_mpi_in_place(), base, Int32(buffer.count), vc_mpi_float(), vc_mpi_sum(),
                                    comm, &request.request),
                     "MPI_Iallreduce of \(buffer.count) floats")
        return request
    }

    /// Starts a non-blocking sum of bf16 values in `wire` (MPI_Iallreduce
    /// with the bf16 sum); `buffer` is the fp32 gradient slice it stands for.
    /// Rounding into `wire` before and widening after are the caller's.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>,
                                  bf16 wire: UnsafeMutableBufferPointer<UInt16>) throws -> AllReduceRequest {
        let request = AllReduceRequest(buffer: buffer, communicator: self)
        guard size > 1, let base = wire.baseAddress, wire.count > 0 else { return request }
        guard wire.count <= maxElementsPerCall else {
            throw CommunicatorError("non-blocking all-reduce of \(wire.count) elements: split it into buckets")
        }
        collectiveSequence &+= 1
        try mpiCheck(MPI_Iallreduce(vc_mpi_in_place(), base, Int32(wire.count), vc_mpi_uint16(), bf16Sum,
                                    comm, &request.request),
                     "MPI_Iallreduce of \(wire.count) bf16 values")
        return request
    }

    // MARK: - Broadcast

    /// Copies rank `root`'s `buffer` into every rank's `buffer` (same count everywhere).
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        try inPieces(buffer.count, "MPI_Bcast") { offset, n, request in
            try mpiCheck(MPI_Ibcast(base + offset, Int32(n), T.mpiDatatype, Int32(root), comm, &request),
                         "MPI_Ibcast of \(n) elements")
        }
    }

    /// Sends a small byte payload from `root` to every rank. Only the root's
    /// `bytes` are read (others may pass nil); every rank returns the root's bytes.
    public func broadcast(bytes: [UInt8]?, root: Int = 0) throws -> [UInt8] {
        if rank == root, bytes == nil { throw CommunicatorError("broadcast: the root rank must supply the payload") }
        guard size > 1 else { return bytes ?? [] }
        var count = Int64(rank == root ? bytes!.count : 0)
        try withUnsafeMutablePointer(to: &count) {
            try broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: root)
        }
        guard count <= Int64(Int32.max) else { throw CommunicatorError("broadcast payload of \(count) bytes is too large") }
        var payload = rank == root ? bytes! : [UInt8](repeating: 0, count: Int(count))
        try payload.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        return payload
    }

    /// Sends a Codable value (as JSON) from `root` to every rank: the run's
    /// configuration, a resume cursor, ...
    public func broadcast<V: Codable>(json value: V?, root: Int = 0) throws -> V {
        let bytes: [UInt8]? = try rank == root ? value.map { [UInt8](try JSONEncoder().encode($0)) } : nil
        let received = try broadcast(bytes: bytes, root: root)
        do {
            return try JSONDecoder().decode(V.self, from: Data(received))
        } catch {
            throw CommunicatorError("broadcast: could not decode \(V.self) from rank \(root)'s JSON: \(error)")
        }
    }

    // MARK: - All-gather

    /// Every rank's `value`, indexed by rank (a checksum, a flag, ...), in a new array.
    public func allGather<T: MPIScalar>(_ value: T) throws -> [T] {
        var all = [T](repeating: value, count: size)
        try all.withUnsafeMutableBufferPointer { try allGather(value, into: $0) }
        return all
    }

    /// Every rank's `value` into `all`, one slot per rank in rank order: the
    /// form for every step (the trainer's compute times), into a buffer the
    /// caller allocated once, so the call allocates nothing.
    public func allGather<T: MPIScalar>(_ value: T, into all: UnsafeMutableBufferPointer<T>) throws {
        guard all.count == size, let receive = all.baseAddress else {
            throw CommunicatorError("all-gather of one value per rank into \(all.count) slots: \(size) ranks")
        }
        // One rank too goes through MPI: the path is the same whatever the size.
        var mine = value
        try withUnsafeMutablePointer(to: &mine) { send in
            var request: MPI_Request? = vc_mpi_request_null()
            collectiveSequence &+= 1
            try mpiCheck(MPI_Iallgather(send, 1, T.mpiDatatype, receive, 1, T.mpiDatatype, comm, &request),
                         "MPI_Iallgather")
            try complete(&request, "MPI_Allgather")
        }
    }

    /// Every rank's equal part of `buffer`, in place: rank r's part is the
    /// r-th of `size` and already holds its values (MPI_IN_PLACE); afterwards
    /// every rank holds all parts, in rank order.
    public func allGatherInPlace(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        let part = buffer.count / size
        guard part * size == buffer.count, part <= Int(Int32.max) else {
            throw CommunicatorError("all-gather of \(buffer.count) floats in \(size) parts: not equal parts MPI can count")
        }
        var request: MPI_Request? = vc_mpi_request_null()
        collectiveSequence &+= 1
        try mpiCheck(MPI_Iallgather(vc_mpi_in_place(), 0, vc_mpi_float(), base, Int32(part), vc_mpi_float(), comm, &request),
                     "MPI_Iallgather of \(part) floats per rank")
        try complete(&request, "MPI_Allgather of \(part) floats per rank")
    }

    /// Every rank's byte payload (of any length), indexed by rank.
    public func allGather(bytes: [UInt8]) throws -> [[UInt8]] {
        guard size > 1 else { return [bytes] }
        let counts = try allGather(Int32(clamping: bytes.count))
        guard bytes.count <= Int(Int32.max), counts.reduce(0, { $0 + Int($1) }) <= Int(Int32.max) else {
            throw CommunicatorError("all-gather payload too large")
        }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + counts[r - 1] }
        let total = Int(displacements[size - 1] + counts[size - 1])
        var receive = [UInt8](repeating: 0, count: max(total, 1))
        var send = bytes
        try send.withUnsafeMutableBufferPointer { s in
            try receive.withUnsafeMutableBufferPointer { r in
                try counts.withUnsafeBufferPointer { c in
                    try displacements.withUnsafeBufferPointer { d in
                        var request: MPI_Request? = vc_mpi_request_null()
                        collectiveSequence &+= 1
                        try mpiCheck(MPI_Iallgatherv(s.baseAddress, Int32(bytes.count), vc_mpi_byte(),
                                                     r.baseAddress, c.baseAddress, d.baseAddress, vc_mpi_byte(), comm, &request),
                                     "MPI_Iallgatherv")
                        try complete(&request, "MPI_Allgatherv")
                    }
                }
            }
        }
        return (0..<size).map { r in
            Array(receive[Int(displacements[r])..<Int(displacements[r] + counts[r])])
        }
    }

    /// Every rank's Codable value (as JSON), indexed by rank.
    public func allGather<V: Codable>(json value: V) throws -> [V] {
        let parts = try allGather(bytes: [UInt8](try JSONEncoder().encode(value)))
        return try parts.enumerated().map { r, bytes in
            do { return try JSONDecoder().decode(V.self, from: Data(bytes)) } catch {
                throw CommunicatorError("all-gather: could not decode \(V.self) from rank \(r)'s JSON: \(error)")
            }
        }
    }
}

/// Multiplies every element by `factor`.
@inline(__always)
func scale(_ buffer: UnsafeMutableBufferPointer<Float>, by factor: Float) {
    guard factor != 1, let p = buffer.baseAddress else { return }
    for i in 0..<buffer.count { p[i] *= factor }
}
