#if canImport(Glibc)
import Glibc
#endif

/// POSIX threads and a mutex with a condition, for `serve` (one thread per connection, and a
/// commit queue). No Foundation or Dispatch: the binary starts in a few milliseconds.
enum Threads {
  private final class Box {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  /// Starts a detached thread running `body`.
  static func spawn(_ body: @escaping () -> Void) {
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let rc = pthread_create(&thread, &attributes, { raw in
      guard let raw else { return nil }
      let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
      box.body()
      return nil
    }, box)
    pthread_attr_destroy(&attributes)
    if rc != 0 { Unmanaged<Box>.fromOpaque(box).release() }
  }
}

/// A mutex and a condition variable; `withLock` runs a body holding the mutex.
final class Monitor: @unchecked Sendable {
  // Invariant: the pointers are allocated in init and freed in deinit, and only used through
  // the pthread calls, which serialise access.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Waits (the mutex held) until signalled or `milliseconds` pass.
  func wait(milliseconds: Int) {
    var deadline = Self.deadline(milliseconds)
    pthread_cond_timedwait(condition, mutex, &deadline)
  }

  func broadcast() { pthread_cond_broadcast(condition) }

  /// Another condition on this monitor's mutex: one thread can be woken alone, without
  /// waking every thread that waits on the monitor.
  func makeCondition() -> Condition { Condition(self) }

  final class Condition: @unchecked Sendable {
    // Invariant: as the monitor's; `monitor` outlives every wait.
    private let monitor: Monitor
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    fileprivate init(_ monitor: Monitor) {
      self.monitor = monitor
      pthread_cond_init(condition, nil)
    }

    deinit {
      pthread_cond_destroy(condition)
      condition.deallocate()
    }

    /// Waits (the monitor's mutex held) until signalled or `milliseconds` pass.
    func wait(milliseconds: Int) {
      var deadline = Monitor.deadline(milliseconds)
      pthread_cond_timedwait(condition, monitor.mutex, &deadline)
    }

    /// Wakes the thread waiting on this condition, if any (the monitor's mutex held).
    func signal() { pthread_cond_signal(condition) }
  }

  private static func deadline(_ milliseconds: Int) -> timespec {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var deadline = timespec(tv_sec: now.tv_sec + milliseconds / 1000, tv_nsec: now.tv_nsec + (milliseconds % 1000) * 1_000_000)
    if deadline.tv_nsec >= 1_000_000_000 {
      deadline.tv_sec += 1
      deadline.tv_nsec -= 1_000_000_000
    }
    return deadline
  }
}
