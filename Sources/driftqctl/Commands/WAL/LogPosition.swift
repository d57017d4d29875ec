import WALFormat

/// A point in the log as users write it: an LSN (`1234`) or a time (`@2026-11-21T02:14:00Z`).
enum LogPosition: Sendable {
  case lsn(UInt64)
  case time(WALTimestamp)

  static func parse(_ text: String, option: String, command: [String]) throws(UsageError) -> LogPosition {
    if text.hasPrefix("@") {
      guard let time = RFC3339.parse(String(text.dropFirst())) else {
        throw UsageError("invalid value \"\(text)\" for --\(option): expected @RFC3339 time", command: command)
      }
      return .time(time)
    }
    guard let lsn = UInt64(text) else {
      throw UsageError("invalid value \"\(text)\" for --\(option): expected an LSN or @RFC3339 time", command: command)
    }
    return .lsn(lsn)
  }

  /// Whether `record` is at or after this position.
  func isReached(by record: WALRecord) -> Bool {
    switch self {
    case .lsn(let lsn): return record.lsn >= lsn
    case .time(let time): return record.timestamp >= time
    }
  }
}
