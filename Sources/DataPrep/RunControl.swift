import Foundation

/// Work distribution and cancellation shared by threads.
final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    private var cancelledFlag = false

    func next(_ count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard cursor < count else { return nil }
        cursor += 1
        return cursor - 1
    }
    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelledFlag }
    func cancel() { lock.lock(); cancelledFlag = true; lock.unlock() }
}

/// An error handed from one thread to another (read after the thread is done).
final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
