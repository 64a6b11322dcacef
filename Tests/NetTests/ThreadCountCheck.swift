import XCTest
@testable import Net

/// Runs `body` on one compute thread, then on two, and asserts both give the
/// same result: the parallel loops split work into contiguous chunks and must
/// not change a single bit. Leaves the thread count at one, as tests expect,
/// even when `body` fails.
func XCTAssertSameOnOneAndTwoThreads<T: Equatable>(_ body: () -> T,
                                                   file: StaticString = #filePath, line: UInt = #line) {
    defer { ComputeThreads.set(1) }
    ComputeThreads.set(1)
    let one = body()
    ComputeThreads.set(2)
    let two = body()
    XCTAssertEqual(one, two, "one thread vs two", file: file, line: line)
}
