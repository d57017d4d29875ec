import ReplayEngine
import WALFormat

/// DriftQ's `/debug/topics/lag` shapes, shared by `groups describe` and `topics lag`.
enum LagRendering {
  static func row(_ r: BrokerDecider.LagRow) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("group", .string(r.group)), ("topic", .string(r.topic)), ("partition", .int(r.partition)),
      ("head_offset", .int(r.headOffset)), ("committed_offset", .int(r.committedOffset)),
      ("inflight", .int(r.inflight)), ("lag", .int(r.lag)),
    ]
    if !r.leaseOwners.isEmpty { members.append(("lease_owners", .array(r.leaseOwners.map { .string($0) }))) }
    if let owner = r.lastOwner { members.append(("last_owner", .string(owner))) }
    if let at = r.lastDeliveredAt { members.append(("last_delivered_at_ms", .int(at.milliseconds))) }
    if let age = r.oldestLeaseAgeMs { members.append(("oldest_lease_age_ms", .int(age))) }
    if let expiry = r.leaseExpiresAt {
      members.append(("lease_expires_at_ms", .int(expiry.milliseconds)))
      members.append(("lease_expires_at_ns", .int(expiry.nanoseconds)))
    }
    if r.stalled { members.append(("stalled", .bool(true))) }
    return .object(members)
  }

  /// A row as `row(_:)` (or DriftQ-Core) wrote it; members a server left out are empty.
  /// `lease_expires_at_ns` (ours) keeps the exact time the text table prints.
  static func row(from r: JSONValue, group: String) -> BrokerDecider.LagRow {
    BrokerDecider.LagRow(
      group: r["group"]?.stringValue ?? group, topic: r["topic"]?.stringValue ?? "", partition: Int(r["partition"]?.int64Value ?? 0),
      headOffset: r["head_offset"]?.int64Value ?? 0, committedOffset: r["committed_offset"]?.int64Value ?? 0,
      inflight: Int(r["inflight"]?.int64Value ?? 0), lag: r["lag"]?.int64Value ?? 0,
      leaseOwners: { if case .array(let o)? = r["lease_owners"] { return o.compactMap(\.stringValue) } else { return [] } }(),
      lastOwner: r["last_owner"]?.stringValue, lastDeliveredAt: r["last_delivered_at_ms"]?.int64Value.map { WALTimestamp(milliseconds: $0) },
      oldestLeaseAgeMs: r["oldest_lease_age_ms"]?.int64Value,
      leaseExpiresAt: r["lease_expires_at_ns"]?.int64Value.map { WALTimestamp(nanoseconds: $0) }
        ?? r["lease_expires_at_ms"]?.int64Value.map { WALTimestamp(milliseconds: $0) },
      stalled: r["stalled"] == .bool(true))
  }

  /// `{"ok":true,"group":…,"topic":…,"rows":[…]}` as DriftQ answers it.
  static func document(group: String, topic: String?, rows: [BrokerDecider.LagRow]) -> JSONValue {
    .object([("ok", .bool(true)), ("group", .string(group)), ("topic", .string(topic ?? "")), ("rows", .array(rows.map(row)))])
  }
}

/// The `--group G [--topic T]` query that `groups describe` and `topics lag` share.
struct LagQuery {
  static let options = [OptionSpec.group, OptionSpec.topic.with(required: false), AsOf.option]
  let group: String
  let topic: String?
  let at: LogPosition?

  init(_ args: inout ParsedArguments, command: [String]) throws(UsageError) {
    group = try args.name(.group)
    topic = args.value(OptionSpec.topic)
    at = try AsOf.parse(&args, command: command)
  }
}
