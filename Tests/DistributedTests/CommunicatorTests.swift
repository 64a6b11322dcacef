import MPIShim
import XCTest
@testable import Distributed
@testable import ModelFiles

/// The communicator inside the test process: an OpenMPI singleton of one rank.
final class CommunicatorTests: XCTestCase {
    func testSingletonIsOneRank() throws {
        let comm = try Communicator.world()
        XCTAssertTrue(try Communicator.world() === comm, "world() must hand out one communicator")
        XCTAssertEqual(comm.rank, 0)
        XCTAssertEqual(comm.size, 1)
        XCTAssertEqual(comm.localRank, 0)
        XCTAssertEqual(comm.localSize, 1)
        XCTAssertTrue(comm.isRoot)
        XCTAssertFalse(comm.hostname.isEmpty)
        XCTAssertGreaterThanOrEqual(comm.threadLevel, vc_mpi_thread_funneled())
        try comm.barrier()
    }

    func testReductionsOfOneRankAreIdentity() throws {
        let comm = try Communicator.world()
        let values: [Float] = [1.5, -2, 3.25, .leastNonzeroMagnitude]
        var x = values
        try x.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
        XCTAssertEqual(x, values)
        try x.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
        XCTAssertEqual(x, values)
        var d: [Double] = [0.1, 7]
        try d.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
        XCTAssertEqual(d, [0.1, 7])
        XCTAssertEqual(try comm.allReduce(2.5, .max), 2.5)
        let request = try x.withUnsafeMutableBufferPointer { try comm.startAllReduceSum($0) }
        XCTAssertTrue(try request.test())
        try request.wait()
        XCTAssertEqual(x, values)
    }

    func testBroadcastAndAllGatherOfOneRank() throws {
        let comm = try Communicator.world()
        var w: [Float] = [1, 2, 3]
        try w.withUnsafeMutableBufferPointer { try comm.broadcast($0) }
        XCTAssertEqual(w, [1, 2, 3])
        XCTAssertEqual(try comm.broadcast(bytes: [9, 8, 7]), [9, 8, 7])
        XCTAssertEqual(try comm.broadcast(json: SamplerCursor(epoch: 3, stepInEpoch: 4)), SamplerCursor(epoch: 3, stepInEpoch: 4))
        XCTAssertThrowsError(try comm.broadcast(bytes: nil), "the root must supply the payload")
        XCTAssertEqual(try comm.allGather(UInt64(0xDEAD_BEEF_0000_0001)), [0xDEAD_BEEF_0000_0001])
        XCTAssertEqual(try comm.allGather(0.25), [0.25])
        // Into the caller's buffer, as the trainer's compute times every step: one slot per rank.
        var slots: [Double] = [-1], tooMany: [Double] = [-1, -1]
        try slots.withUnsafeMutableBufferPointer { try comm.allGather(0.375, into: $0) }
        XCTAssertEqual(slots, [0.375])
        XCTAssertThrowsError(try tooMany.withUnsafeMutableBufferPointer { try comm.allGather(0.375, into: $0) })
        XCTAssertEqual(tooMany, [-1, -1])
        XCTAssertEqual(try comm.allGather(bytes: [1, 2]), [[1, 2]])
        XCTAssertEqual(try comm.allGather(json: "host"), ["host"])
    }

    /// MPI_ERRORS_RETURN is in force: a bad call throws instead of killing the process.
    func testMPIErrorsAreThrownWithMPIsText() throws {
        let comm = try Communicator.world()
        var x: Float = 0
        XCTAssertThrowsError(try mpiCheck(MPI_Bcast(&x, 1, vc_mpi_float(), 5, comm.comm), "MPI_Bcast")) { error in
            guard let e = error as? MPIError else { return XCTFail("not an MPIError: \(error)") }
            XCTAssertNotEqual(e.code, vc_mpi_success())
            XCTAssertTrue(e.description.hasPrefix("MPI_Bcast failed: "), e.description)
            XCTAssertTrue(e.message.lowercased().contains("root"), e.message)
        }
    }

    func testRingForWorldsThatAreNotAPowerOfTwo() {
        XCTAssertEqual(Communicator.allReduceAlgorithm(ranks: nil), "3")
        for ranks in [1, 2, 4, 8, 64, 256] {
            XCTAssertEqual(Communicator.allReduceAlgorithm(ranks: ranks), "3", "\(ranks) ranks")
        }
        for ranks in [3, 5, 6, 7, 12, 96, 255] {
            XCTAssertEqual(Communicator.allReduceAlgorithm(ranks: ranks), "1", "\(ranks) ranks")
        }
    }

    func testBucketBoundaries() {
        // Without tensor offsets: cut every bucketElements.
        XCTAssertEqual(GradientBuckets.boundaries(count: 10, tensorOffsets: nil, bucketElements: 4), [4, 8])
        // Tensors at 0, 3, 5, 9, 12 of 14 elements, ~4 per bucket: never split a tensor.
        XCTAssertEqual(GradientBuckets.boundaries(count: 14, tensorOffsets: [0, 3, 5, 9, 12], bucketElements: 4), [5, 9])
        XCTAssertEqual(GradientBuckets.boundaries(count: 3, tensorOffsets: [0], bucketElements: 4), [])
    }

    func testGradientBucketsOnOneRank() throws {
        let comm = try Communicator.world()
        var g = (0..<1000).map { Float($0) }
        try g.withUnsafeMutableBufferPointer { b in
            let buckets = try GradientBuckets(communicator: comm, buffer: b, bucketBytes: 1200)
            XCTAssertEqual(buckets.ranges, [0..<300, 300..<600, 600..<900, 900..<1000])
            XCTAssertEqual(buckets.bucket(containing: 299), 0)
            XCTAssertEqual(buckets.bucket(containing: 300), 1)
            XCTAssertEqual(buckets.bucket(containing: 999), 3)
            XCTAssertNil(buckets.bucket(containing: 1000))
            try buckets.bucketReady(3)
            XCTAssertThrowsError(try buckets.bucketReady(3), "twice in one step")
            XCTAssertThrowsError(try buckets.bucketReady(4), "no such bucket")
            try buckets.waitAll()
            try buckets.bucketReady(3)  // a new step may start it again
            try buckets.waitAll()
            XCTAssertThrowsError(try GradientBuckets(communicator: comm, buffer: b, boundaries: [500, 400]))
            XCTAssertThrowsError(try GradientBuckets(communicator: comm, buffer: b, boundaries: [1000]))
        }
        XCTAssertEqual(g, (0..<1000).map { Float($0) })
    }
}
