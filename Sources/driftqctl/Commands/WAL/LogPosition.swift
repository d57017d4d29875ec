import WALFormat

/// A point in the log as users write it: an LSN (`1234`), a time (`@2026-11-21T02:14:00Z`),
/// or a time before now (`@-90m`, resolved when the command runs).
enum LogPosition: Sendable {
  case lsn(UInt64)
  case time(WALTimestamp)
  case ago(milliseconds: Int64)

  static func parse(_ text: String, option: String, command: [String]) throws(UsageError) -> LogPosition {
    if text.hasPrefix("@-") {
      guard let ms = ValueParsers.milliseconds(String(text.dropFirst(2))) else {
        throw UsageError("invalid value \"\(text)\" for --\(option): expected @-DURATION such as @-90m", command: command)
      }
      return .ago(milliseconds: ms)
    }
    if text.hasPrefix("@") {
      guard let time = RFC3339.parse(String(text.dropFirst())) else {
        throw UsageError("invalid value \"\(text)\" for --\(option): expected @RFC3339 time", command: command)
      }
      return .time(time)
    }
    guard let lsn = UInt64(text) else {
      throw UsageError("invalid value \"\(text)\" for --\(option): expected an LSN, @RFC3339 time or @-DURATION", command: command)
    }
    return .lsn(lsn)
  }

  /// Whether `a` comes after `b`, when both are of a kind that compares without the log
  /// (two LSNs, or two times; a relative time against an absolute one is resolved now).
  static func isLater(_ a: LogPosition, than b: LogPosition, now: WALTimestamp = .now()) -> Bool? {
    switch (a.resolved(now: now), b.resolved(now: now)) {
    case (.lsn(let x), .lsn(let y)): return x > y
    case (.time(let x), .time(let y)): return x > y
    default: return nil
    }
  }

  /// A relative time made absolute.
  func resolved(now: WALTimestamp) -> LogPosition {
    if case .ago(let ms) = self { return .time(now.adding(milliseconds: -ms)) }
    return self
  }

  /// Whether `record` is at or after this position (resolve `.ago` first).
  func isReached(by record: WALRecord) -> Bool {
    switch self {
    case .lsn(let lsn): return record.lsn >= lsn
    case .time(let time): return record.timestamp >= time
    case .ago: return true
    }
  }

  /// Whether `record` comes after this position: a fold "as of" it stops there.
  func isPassed(by record: WALRecord) -> Bool {
    switch self {
    case .lsn(let lsn): return record.lsn > lsn
    case .time(let time): return record.timestamp > time
    case .ago: return false
    }
  }
}
