#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a deferred sync must make durable: the segment last appended to, opened on a
/// descriptor of its own. With `WALLog.defersSync`, a thread other than the writer's runs
/// the fdatasync while the writer goes on appending, or rolls to the next segment and closes
/// its descriptor: this one stays open as long as the sync needs it.
public final class SegmentSync: @unchecked Sendable {
  // Invariant: `fd` is open for the object's whole life and only read here.
  private let fd: Int32
  public let path: String
  let baseLSN: UInt64

  init(duplicating descriptor: Int32, path: String, baseLSN: UInt64) throws(WALError) {
    let copy = dup(descriptor)
    guard copy >= 0 else { throw .io("dup", path, Errno.current) }
    _ = fcntl(copy, F_SETFD, FD_CLOEXEC)
    fd = copy
    self.path = path
    self.baseLSN = baseLSN
  }

  deinit { Syscalls.close(fd) }

  /// fdatasync: on return, everything appended to this segment before the call is durable.
  public func sync() throws(WALError) {
    do { try Syscalls.fdatasync(fd) } catch { throw .io("fdatasync", path, error) }
  }
}
