#if canImport(Glibc)
import Glibc
#endif

/// Elapsed time on the monotonic clock, for reports that say how long they took.
struct Stopwatch {
  private let start = Stopwatch.now()

  private static func now() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
  }

  var milliseconds: Int64 { (Stopwatch.now() - start) / 1_000_000 }
  var microseconds: Int64 { (Stopwatch.now() - start) / 1_000 }
}
