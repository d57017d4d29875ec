#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A point in time as integer nanoseconds since the Unix epoch (UTC). The WAL stores these;
/// conversion to calendar text happens only at the edges.
public struct WALTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var nanoseconds: Int64

  public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
  public init(milliseconds: Int64) { self.nanoseconds = milliseconds &* 1_000_000 }

  public var milliseconds: Int64 { nanoseconds / 1_000_000 }

  /// The wall clock now (CLOCK_REALTIME).
  public static func now() -> WALTimestamp {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return WALTimestamp(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
  }

  public static func < (a: Self, b: Self) -> Bool { a.nanoseconds < b.nanoseconds }

  public func adding(milliseconds: Int64) -> WALTimestamp {
    let (ns, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
    if overflow { return WALTimestamp(nanoseconds: milliseconds < 0 ? .min : .max) }
    let (sum, overflow2) = nanoseconds.addingReportingOverflow(ns)
    return WALTimestamp(nanoseconds: overflow2 ? (ns < 0 ? .min : .max) : sum)
  }

  public var description: String { RFC3339.format(self) }
}
