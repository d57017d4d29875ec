import ReplayEngine
import WALFormat

/// The broker commands over HTTP, against DriftQ-Core or `driftqctl serve`: the same
/// arguments and output as the local backend, through DriftQ's `/v1` and `/debug` API.
struct RemoteBroker {
  let client: HTTPClient
  let globals: GlobalOptions
  let context: CommandContext

  private func ok(_ response: HTTPClient.Response, _ action: String, accept: Set<Int> = [200, 201, 204]) throws -> HTTPClient.Response {
    guard accept.contains(response.status) else { throw HTTPClient.failure(response, action: action) }
    return response
  }

  func listTopics() throws -> [String] {
    let response = try ok(client.send("GET", "/v1/topics"), "topics list")
    guard case .array(let items)? = response.json?["topics"] else { throw CommandFailure(.failure, "topics list: unexpected answer: \(response.text.prefix(200))") }
    return items.compactMap { $0.stringValue ?? $0["name"]?.stringValue }
  }

  /// Creates a topic; returns false when it already existed.
  func createTopic(_ name: String, partitions: Int) throws -> Bool {
    let response = try client.send("POST", "/v1/topics", query: [("name", name), ("partitions", String(partitions))])
    if response.status == 201 || response.status == 200 { return response.json?["existed"] != .bool(true) }
    // DriftQ-Core's newer builds answer 400 "topic already exists": fine for an ensure.
    if response.status == 400 && response.text.contains("already exists") { return false }
    throw HTTPClient.failure(response, action: "topics create")
  }

  /// DriftQ's produce body.
  static func produceBody(topic: String, key: [UInt8], value: [UInt8], envelope: Envelope) throws -> JSONValue {
    guard let text = String(validating: value, as: UTF8.self), let keyText = String(validating: key, as: UTF8.self) else {
      throw CommandFailure(.failure, "DriftQ's HTTP API carries keys and values as text: this one is not UTF-8 (use a local --wal-dir)")
    }
    var members: [(String, JSONValue)] = [("topic", .string(topic))]
    if !keyText.isEmpty { members.append(("key", .string(keyText))) }
    members.append(("value", .string(text)))
    if !envelope.isEmpty { members.append(("envelope", PayloadRendering.envelope(envelope))) }
    return .object(members)
  }

  /// A produce answer as the local command prints it (DriftQ-Core does not say where a
  /// message went; `serve` does).
  func render(_ response: HTTPClient.Response, requested: String) -> String {
    let json = response.json
    guard let partition = json?["partition"]?.int64Value, let offset = json?["offset"]?.int64Value else {
      return globals.output == .text ? "topic=\(requested) status=produced" : response.text.trimmingTrailingWhitespace()
    }
    let publication: BrokerDecider.Publication = json?["duplicate"] == .bool(true)
      ? .duplicate(of: MessageOrigin(topic: json?["target_topic"]?.stringValue ?? requested, partition: Int(partition), offset: offset))
      : .published(MessagePublished(topic: json?["target_topic"]?.stringValue ?? requested, partition: Int(partition), offset: offset, key: [], value: [], envelope: Envelope()))
    return PublishCommand.render(publication, requested: requested, format: globals.output)
  }

  func publish(_ body: JSONValue, requested: String) throws -> String {
    render(try ok(client.send("POST", "/v1/produce", json: body), "publish"), requested: requested)
  }

  /// Sends many produces pipelined on one connection; answers come back in order.
  func publish(batch bodies: [JSONValue]) throws -> [HTTPClient.Response] {
    try client.pipeline(bodies.map { ("POST", "/v1/produce", $0) })
  }

  /// Streams ConsumeItems to stdout. Without `follow`, stops once nothing arrives for a second.
  func consume(topic: String, group: String, owner: String, leaseMs: Int64, limit: Int?, follow: Bool, timeoutMs: Int64?) throws -> Int {
    var printed = 0
    let overall = timeoutMs.map { WALTimestamp.now().adding(milliseconds: $0) }
    let query = [("topic", topic), ("group", group), ("owner", owner), ("lease_ms", String(leaseMs))]
    while true {
      let idle = follow ? overall : WALTimestamp.now().adding(milliseconds: min(timeoutMs ?? 1000, 1000))
      var sawItem = false
      try client.stream("/v1/consume", query: query, deadline: idle) { line in
        context.stdout.line(line)
        context.stdout.flush()
        printed += 1
        sawItem = true
        if context.stdout.isBroken { return false }
        if let limit, printed >= limit { return false }
        return true
      }
      if let limit, printed >= limit { return printed }
      if context.stdout.isBroken { return printed }
      if !follow && !sawItem { return printed }
      if let overall, WALTimestamp.now() >= overall { return printed }
      if follow && !sawItem { continue }  // the stream dropped: reconnect
    }
  }

  /// Ack or nack bodies, pipelined; returns each answer.
  func settle(_ path: String, bodies: [JSONValue]) throws -> [HTTPClient.Response] {
    try client.pipeline(bodies.map { ("POST", path, $0) })
  }

  /// DriftQ's lag rows from `/debug/topics/lag`.
  func lagRows(group: String, topic: String?) throws -> [BrokerDecider.LagRow] {
    var query = [("group", group)]
    if let topic { query.append(("topic", topic)) }
    let response = try ok(client.send("GET", "/debug/topics/lag", query: query), "topics lag")
    guard case .array(let rows)? = response.json?["rows"] else { throw CommandFailure(.failure, "topics lag: unexpected answer: \(response.text.prefix(200))") }
    return rows.map { r in
      BrokerDecider.LagRow(
        group: r["group"]?.stringValue ?? group, topic: r["topic"]?.stringValue ?? "", partition: Int(r["partition"]?.int64Value ?? 0),
        headOffset: r["head_offset"]?.int64Value ?? 0, committedOffset: r["committed_offset"]?.int64Value ?? 0,
        inflight: Int(r["inflight"]?.int64Value ?? 0), lag: r["lag"]?.int64Value ?? 0,
        leaseOwners: { if case .array(let o)? = r["lease_owners"] { return o.compactMap(\.stringValue) } else { return [] } }(),
        lastOwner: r["last_owner"]?.stringValue, lastDeliveredAt: r["last_delivered_at_ms"]?.int64Value.map { WALTimestamp(milliseconds: $0) },
        oldestLeaseAgeMs: r["oldest_lease_age_ms"]?.int64Value, leaseExpiresAt: r["lease_expires_at_ms"]?.int64Value.map { WALTimestamp(milliseconds: $0) },
        stalled: r["stalled"] == .bool(true))
    }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
  }
}
