import ReplayEngine
import WALFormat

/// The JSON of the lifecycle extension (`topics delete`, `groups delete`, `dlq purge`), written
/// by `serve` and read back by the HTTP client side by side. Each request carries `execute`;
/// without it the server answers what it would remove and writes nothing.
extension BrokerWire {
  /// A topic or group deletion: the names it takes (`topic`, and `group`) and `execute`.
  static func removalRequest(_ names: [(String, String)], execute: Bool) -> JSONValue {
    .object(names.map { ($0.0, .string($0.1)) } + [("execute", .bool(execute))])
  }

  /// The names `keys` of a removal request, each required and not empty, and `execute`.
  static func removalRequest(_ json: JSONValue, naming keys: [String]) throws -> (names: [String], execute: Bool) {
    let names = try keys.map { key throws(Malformed) -> String in
      guard let name = json[key]?.stringValue, !name.isEmpty else { throw Malformed(what: "\(key) is required") }
      return name
    }
    return (names, json["execute"] == .bool(true))
  }

  static func topicRemoval(_ r: BrokerDecider.TopicRemoval) -> JSONValue {
    .object([
      ("topic", .string(r.topic)), ("partitions", .int(r.partitions)), ("messages", .int(r.messages)), ("bytes", .int(r.bytes)),
      ("dead_letters", .int(r.deadLetters)),
      ("groups", .array(r.groups.map { .object([("topic", .string($0.topic)), ("group", .string($0.group))]) })),
    ])
  }

  static func topicRemoval(_ json: JSONValue?) throws -> BrokerDecider.TopicRemoval {
    guard let json, let topic = json["topic"]?.stringValue, case .array(let groups)? = json["groups"] else {
      throw Malformed(what: "no topic removal")
    }
    return BrokerDecider.TopicRemoval(
      topic: topic, partitions: Int(json["partitions"]?.int64Value ?? 0), messages: Int(json["messages"]?.int64Value ?? 0),
      bytes: json["bytes"]?.int64Value ?? 0, deadLetters: Int(json["dead_letters"]?.int64Value ?? 0),
      groups: try groups.map { g in
        guard let topic = g["topic"]?.stringValue, let group = g["group"]?.stringValue else { throw Malformed(what: "a group") }
        return GroupKey(topic: topic, group: group)
      })
  }

  static func groupRemoval(_ r: BrokerDecider.GroupRemoval) -> JSONValue {
    .object([
      ("topic", .string(r.topic)), ("group", .string(r.group)), ("partitions", .int(r.partitions)), ("lag", .int(r.lag)),
      ("inflight", .int(r.inflight)), ("retries", .int(r.retries)),
    ])
  }

  static func groupRemoval(_ json: JSONValue?) throws -> BrokerDecider.GroupRemoval {
    guard let json, let topic = json["topic"]?.stringValue, let group = json["group"]?.stringValue else {
      throw Malformed(what: "no group removal")
    }
    return BrokerDecider.GroupRemoval(
      topic: topic, group: group, partitions: Int(json["partitions"]?.int64Value ?? 0), lag: json["lag"]?.int64Value ?? 0,
      inflight: Int(json["inflight"]?.int64Value ?? 0), retries: Int(json["retries"]?.int64Value ?? 0))
  }

  static func purgeRequest(_ r: PurgeRequest) -> JSONValue {
    var members: [(String, JSONValue)] = [("topic", .string(r.topic))]
    members += selection(r.selection)
    members.append(("execute", .bool(r.execute)))
    return .object(members)
  }

  static func purgeRequest(_ json: JSONValue) throws -> PurgeRequest {
    guard let topic = json["topic"]?.stringValue else { throw Malformed(what: "topic is required") }
    return PurgeRequest(topic: topic, selection: try selection(json), execute: json["execute"] == .bool(true))
  }

  static func purgeOutcome(_ o: PurgeOutcome) -> JSONValue {
    guard case .object(var members) = deadLetters(o.purged) else { return .null }
    members.append(("remaining", .int(o.remaining)))
    return .object(members)
  }

  static func purgeOutcome(_ json: JSONValue?) throws -> PurgeOutcome {
    PurgeOutcome(purged: try deadLetters(json), remaining: Int(json?["remaining"]?.int64Value ?? 0))
  }

  /// Which dead letters a redrive or purge takes, as members of its request.
  static func selection(_ s: BrokerDecider.DeadLetterSelection) -> [(String, JSONValue)] {
    var members: [(String, JSONValue)] = []
    if let max = s.maximum { members.append(("max", .int(max))) }
    if let older = s.olderThanMs { members.append(("older_than_ms", .int(older))) }
    if let key = s.key { members.append(("key", .string(Base64.encode(key)))) }
    return members
  }

  static func selection(_ json: JSONValue) throws -> BrokerDecider.DeadLetterSelection {
    var key: [UInt8]?
    if let text = json["key"]?.stringValue {
      guard let bytes = Base64.decode(text) else { throw Malformed(what: "key is not base64") }
      key = bytes
    }
    let maximum = json["max"]?.int64Value.map { Int(clamping: max(0, $0)) }
    let older = json["older_than_ms"]?.int64Value.map { max(0, $0) }
    return BrokerDecider.DeadLetterSelection(maximum: maximum, olderThanMs: older, key: key)
  }
}
