import Foundation

/// Counters shared by workers, the writer and the progress line.
final class PrepStats: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var inputsTotal = 0
    private(set) var inputsDone = 0
    private(set) var framesDecoded = 0
    private(set) var estimatedFrames = 0
    private(set) var framesWritten = 0
    private(set) var chunkBytes = 0
    private(set) var shardBytes = 0
    private(set) var shardsWritten = 0
    let start = Date()

    func setPlan(inputs: Int, estimatedFrames: Int) {
        lock.lock(); inputsTotal = inputs; self.estimatedFrames = estimatedFrames; lock.unlock()
    }
    func addDecoded(_ n: Int) { lock.lock(); framesDecoded += n; lock.unlock() }
    func inputFinished(estimated: Int, actual: Int) {
        lock.lock()
        inputsDone += 1
        estimatedFrames += actual - estimated
        lock.unlock()
    }
    func addWritten(frames: Int, bytes: Int) { lock.lock(); framesWritten += frames; chunkBytes += bytes; lock.unlock() }
    func addShard(bytes: Int) { lock.lock(); shardBytes += bytes; shardsWritten += 1; lock.unlock() }

    func snapshot() -> (inputsDone: Int, inputsTotal: Int, frames: Int, estimated: Int, elapsed: Double) {
        lock.lock(); defer { lock.unlock() }
        return (inputsDone, inputsTotal, framesDecoded, max(estimatedFrames, framesDecoded), Date().timeIntervalSince(start))
    }
}
