#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Named places in compaction where `DRIFTQ_CRASH_AT=<name>` makes the process SIGKILL
/// itself, so tests can prove a crash there leaves a whole segment set. Unset, it costs one
/// string comparison per place.
struct CrashPoint {
  private let target: String?

  init(environment: [String: String]) { target = environment["DRIFTQ_CRASH_AT"] }

  /// Dies with SIGKILL if `name` is the requested point.
  func pass(_ name: @autoclosure () -> String) {
    guard let target, target == name() else { return }
    kill(getpid(), SIGKILL)
  }
}
