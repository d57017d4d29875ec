#if canImport(Glibc)
import Glibc
#endif

/// Threads kept for short jobs (the requests a client pipelined, decided side by side so
/// their writes share one fdatasync): starting a thread per request cost more than the
/// request. Grows on demand up to `maximum` threads, which then wait for work.
final class WorkerPool: @unchecked Sendable {
  // Invariant: `jobs`, `idle` and `threads` are read and written with `lock` held.
  private let lock = Monitor()
  private var jobs: [() -> Void] = []
  private var idle = 0
  private var threads = 0
  let maximum: Int

  init(maximum: Int) { self.maximum = maximum }

  /// Runs `job` on a pooled thread, starting one when none is idle and the pool may grow.
  func submit(_ job: @escaping () -> Void) {
    let grow = lock.withLock { () -> Bool in
      jobs.append(job)
      if idle > 0 {
        lock.signal()
        return false
      }
      guard threads < maximum else { return false }
      threads += 1
      return true
    }
    if grow { Threads.spawn { [self] in work() } }
  }

  private func work() {
    while true {
      let job = lock.withLock { () -> () -> Void in
        while jobs.isEmpty {
          idle += 1
          lock.wait(milliseconds: 60_000)
          idle -= 1
        }
        return jobs.removeFirst()
      }
      job()
    }
  }
}
