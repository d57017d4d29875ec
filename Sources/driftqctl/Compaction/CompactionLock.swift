#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WALFormat

/// `DIR/COMPACT.LOCK`: one compaction at a time. Never waited for: a second compaction
/// exits 5 at once, so overlapping cron runs do not pile up.
final class CompactionLock {
  private let fd: Int32

  init(_ directory: WALDirectory) throws {
    let path = directory.path + "/COMPACT.LOCK"
    let opened: Int32
    do { opened = try Syscalls.open(path, flags: O_RDWR | O_CREAT) } catch { throw WALError.io("open", path, error) }
    fd = opened
    let acquired: Bool
    do { acquired = try Syscalls.tryLockExclusive(opened) } catch { throw WALError.io("flock", path, error) }
    guard acquired else {
      throw CommandFailure(.unavailable, "another compaction is running on \(directory.path) (it holds \(path))")
    }
  }

  /// Closing the descriptor releases the lock.
  deinit { Syscalls.close(fd) }
}
