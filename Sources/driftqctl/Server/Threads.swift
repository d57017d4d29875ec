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
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var deadline = timespec(tv_sec: now.tv_sec + milliseconds / 1000, tv_nsec: now.tv_nsec + (milliseconds % 1000) * 1_000_000)
    if deadline.tv_nsec >= 1_000_000_000 {
      deadline.tv_sec += 1
      deadline.tv_nsec -= 1_000_000_000
    }
    pthread_cond_timedwait(condition, mutex, &deadline)
  }

  func broadcast() { pthread_cond_broadcast(condition) }
}
