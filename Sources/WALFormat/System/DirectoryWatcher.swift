#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Waits for a WAL directory to change (a segment written or created), so a following
/// consumer wakes when a writer appends instead of polling. Uses inotify; where that is not
/// available it falls back to a short sleep and the caller simply looks again.
public final class DirectoryWatcher {
  private let fd: Int32

  public init(path: String) {
    let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    if fd >= 0 {
      let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
      if inotify_add_watch(fd, path, mask) < 0 {
        close(fd)
        self.fd = -1
        return
      }
    }
    self.fd = fd
  }

  deinit { if fd >= 0 { close(fd) } }

  /// The inotify descriptor, for callers that wait on several things at once with poll(2);
  /// -1 where inotify is not available.
  public var descriptor: Int32 { fd }

  /// Discards pending change notifications (after a poll reported them).
  public func drain() {
    guard fd >= 0 else { return }
    var buffer = [UInt8](repeating: 0, count: 4096)
    while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
  }

  /// Blocks until the directory changes or `milliseconds` pass; drains pending events.
  public func wait(milliseconds: Int) {
    let timeout = Int32(clamping: max(0, milliseconds))
    guard fd >= 0 else {
      var spec = timespec(tv_sec: 0, tv_nsec: Int(min(timeout, 50)) * 1_000_000)
      nanosleep(&spec, nil)
      return
    }
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    if poll(&request, 1, timeout) > 0 { drain() }
  }
}
