import Foundation
import TestFiles
import TestSupport
import XCTest

/// Disk full (ENOSPC) on a small tmpfs: a checkpoint write and a prep end
/// with one clear line and exit status 1, not a crash at exit (HDF5's exit
/// handler used to segfault on the file whose write had failed), and leave
/// no temporary behind. Skipped with a message where tmpfs cannot be mounted.
final class DiskFullTests: XCTestCase {
    var root: String!
    var mountPoint: String!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vcolor-enospc-\(UUID().uuidString)").path
        mountPoint = (root as NSString).appendingPathComponent("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint], timeout: 20)
        if mount.status != 0 {
            throw XCTSkip("cannot mount a 256 KB tmpfs here (needs root or CAP_SYS_ADMIN): \(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    override func tearDownWithError() throws {
        _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [mountPoint], timeout: 20)
        try? FileManager.default.removeItem(atPath: root)
    }

    func assertOneCleanError(_ result: ProcessOutput, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, "exit status 1, not a crash: \(result.stderr)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("crashed"), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains("No space left on device"), result.stderr, file: file, line: line)
    }

    func testCheckpointOnAFullDiskIsOneLineAndNoCrash() throws {
        let data = (root as NSString).appendingPathComponent("data")
        try TinyDataSet.write(to: data, sequences: [.init(frames: 4, split: "train"), .init(frames: 4, split: "train")])
        let run = (mountPoint as NSString).appendingPathComponent("run")
        let result = try runProcess(vcolorBinary(), ["train", "--data", data, "--run", run, "--base", "4", "--clip", "2",
                                                     "--batch", "1", "--steps", "2", "--checkpoint-every", "1"],
                                    environment: environmentWithoutMPI(), timeout: 60)
        assertOneCleanError(result)
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, result.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: (run as NSString).appendingPathComponent("checkpoints"))
        XCTAssertEqual(left.filter { $0.contains(".tmp") }, [], "the temporary is removed")
    }

    func testPrepOnAFullDiskIsOneLineAndNoCrash() throws {
        let clip = (root as NSString).appendingPathComponent("clip.mp4")
        try SyntheticMedia.encode("testsrc2=size=160x120:rate=25:duration=4", to: clip)
        let result = try runProcess(vcolorBinary(), ["prep", clip, "--out", (mountPoint as NSString).appendingPathComponent("data"),
                                                     "--deflate", "0"],
                                    environment: environmentWithoutMPI(), timeout: 60)
        assertOneCleanError(result)
    }
}
