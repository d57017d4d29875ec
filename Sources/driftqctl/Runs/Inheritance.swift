#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// What child processes inherit: stdin, stdout and stderr only. Any other descriptor this
/// process was given (a parent's pipe, say) is marked close-on-exec before spawning, so a step
/// or a detached run never keeps someone else's pipe open.
enum Inheritance {
  static func closeOnExecBeyondStdio() {
    guard let names = try? Syscalls.listDirectory("/proc/self/fd") else { return }
    for name in names {
      guard let fd = Int32(name), fd > 2 else { continue }
      let flags = fcntl(fd, F_GETFD)
      if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
  }
}
