#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the log says about one group's leases on a topic (`wal dump` lines): every delivery,
/// and every ack or nack written after the lease it settled had run out. The log is the
/// server's own record, so this sees expiries a worker cannot (a late ack is still accepted).
struct LeaseAudit {
  struct Late: CustomStringConvertible {
    var offset: Int64
    var attempt: Int
    var lateByMs: Int64
    var description: String { "offset \(offset) attempt \(attempt) settled \(lateByMs) ms after its lease expired" }
  }

  private(set) var deliveries: [(offset: Int64, attempt: Int)] = []
  /// Acks and nacks written after the lease they settled had expired.
  private(set) var late: [Late] = []
  /// Deliveries of a message whose previous delivery was neither acked nor nacked: its lease
  /// expired and the broker handed it out again.
  private(set) var redeliveredAfterExpiry: [(offset: Int64, attempt: Int)] = []

  init(dump lines: [String], topic: String, group: String) {
    var leases: [Int64: (attempt: Int, deadline: Int64)] = [:]
    for line in lines {
      guard let record = Self.object(line), record["topic"] as? String == topic, record["group"] as? String == group,
        let kind = record["kind"] as? String, let offset = (record["offset"] as? NSNumber)?.int64Value,
        let time = (record["time"] as? String).flatMap(Self.nanoseconds)
      else { continue }
      switch kind {
      case "message_delivered":
        let attempt = (record["attempt"] as? NSNumber)?.intValue ?? 0
        deliveries.append((offset, attempt))
        if leases[offset] != nil { redeliveredAfterExpiry.append((offset, attempt)) }
        leases[offset] = (attempt, (record["lease_deadline"] as? String).flatMap(Self.nanoseconds) ?? 0)
      case "message_acked", "message_nacked":
        if let lease = leases.removeValue(forKey: offset), time > lease.deadline {
          late.append(Late(offset: offset, attempt: lease.attempt, lateByMs: (time - lease.deadline) / 1_000_000))
        }
      default:
        break
      }
    }
  }

  /// The lease a `message_delivered` dump line granted, in milliseconds.
  static func leaseMs(_ line: String) -> Int64? {
    guard let record = Self.object(line), let time = (record["time"] as? String).flatMap(nanoseconds),
      let deadline = (record["lease_deadline"] as? String).flatMap(nanoseconds)
    else { return nil }
    return (deadline - time) / 1_000_000
  }

  private static func object(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
  }

  /// Nanoseconds since the epoch of `2026-12-03T09:25:00.99639469Z` (the dump's UTC times).
  static func nanoseconds(_ text: String) -> Int64? {
    let parts = text.dropLast().split(separator: "T")
    guard text.hasSuffix("Z"), parts.count == 2 else { return nil }
    let date = parts[0].split(separator: "-").compactMap { Int32($0) }
    let clock = parts[1].split(separator: ".", maxSplits: 1)
    let hms = clock[0].split(separator: ":").compactMap { Int32($0) }
    guard date.count == 3, hms.count == 3 else { return nil }
    var fields = tm()
    fields.tm_year = date[0] - 1900
    fields.tm_mon = date[1] - 1
    fields.tm_mday = date[2]
    fields.tm_hour = hms[0]
    fields.tm_min = hms[1]
    fields.tm_sec = hms[2]
    let seconds = Int64(timegm(&fields))
    let fraction = clock.count > 1 ? String(clock[1]).padding(toLength: 9, withPad: "0", startingAt: 0) : "0"
    guard let nanos = Int64(fraction) else { return nil }
    return seconds * 1_000_000_000 + nanos
  }
}
