#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// The broker over HTTP: DriftQ's `/v1` and `/debug` API, plus driftqctl's extensions where
/// the server advertises them (`/v1/version` `extensions`, see `BrokerWire.Extension`).
/// Against a server without one, a command that needs it exits 5 and names what is missing.
final class HTTPBroker: Broker {
  private let client: HTTPClient
  private let context: CommandContext
  init(client: HTTPClient, context: CommandContext) {
    self.client = client
    self.context = context
  }

  // MARK: - What the server can do

  private func has(_ feature: BrokerWire.Extension) throws -> Bool { try client.advertises(feature.rawValue) }

  private func require(_ feature: BrokerWire.Extension, _ what: String) throws { try client.require(feature, what) }

  /// A non-2xx answer as a rejection when it is one, else as a failure of `action`.
  private func failure(_ response: HTTPClient.Response, _ action: String) -> any Error {
    if let rejection = RejectionWire.rejection(from: response) { return rejection }
    return HTTPClient.failure(response, action: action)
  }

  private func ok(_ response: HTTPClient.Response, _ action: String) throws -> HTTPClient.Response {
    guard (200..<300).contains(response.status) else { throw failure(response, action) }
    return response
  }

  /// A `/debug` answer, where a 404 that is not ours means the server lacks the route.
  private func debug(_ response: HTTPClient.Response, _ action: String, missing: String) throws -> HTTPClient.Response {
    if response.status == 404 && response.headers["x-driftq-rejection"] == nil {
      throw CommandFailure(.unavailable, "\(client.base) has no \(missing) (\(response.status) \(response.text.trimmingTrailingWhitespace().prefix(80)))")
    }
    return try ok(response, action)
  }

  private func decode<T>(_ action: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let malformed as BrokerWire.Malformed {
      throw CommandFailure(.failure, "\(action): \(malformed)")
    }
  }

  // MARK: - Topics

  func topics() throws -> [TopicSummary] {
    // Our `/debug/topics` has counts; DriftQ-Core's may not: then the names of `/v1/topics`.
    let detailed = try client.send("GET", "/debug/topics")
    if detailed.status == 200, case .array(let items)? = detailed.json?["topics"], items.allSatisfy({ $0["partitions"] != nil }) {
      return items.compactMap { item in
        item["topic"]?.stringValue.map {
          TopicSummary(name: $0, partitions: item["partitions"]?.int64Value.map { Int($0) }, messages: item["messages"]?.int64Value.map { Int($0) })
        }
      }
    }
    let response = try ok(client.send("GET", "/v1/topics"), "topics list")
    guard case .array(let items)? = response.json?["topics"] else {
      throw CommandFailure(.failure, "topics list: unexpected answer: \(response.text.prefix(200))")
    }
    return items.compactMap { $0.stringValue ?? $0["name"]?.stringValue }.sorted().map { TopicSummary(name: $0, partitions: nil, messages: nil) }
  }

  func createTopic(name: String, partitions: Int, limits: ProducerLimits) throws -> TopicCreation {
    guard limits.isEmpty else {
      throw CommandFailure(.usage, "producer limits are set on a local directory (DriftQ's HTTP API has no field for them)")
    }
    let response = try client.send("POST", "/v1/topics", query: [("name", name), ("partitions", String(partitions))])
    if response.status == 201 || response.status == 200 {
      return TopicCreation(created: response.json?["existed"] != .bool(true), partitions: response.json?["partitions"]?.int64Value.map { Int($0) } ?? partitions)
    }
    let rejection = RejectionWire.rejection(from: response)
    if rejection?.code == .topicExists, response.json?["code"] == nil {
      // DriftQ-Core's newer builds answer 400 "topic already exists" whatever the count.
      return TopicCreation(created: false, partitions: nil)
    }
    throw failure(response, "topics create")
  }

  func lag(group: String, topic: String?) throws -> LagAnswer {
    var query = [("group", group)]
    if let topic { query.append(("topic", topic)) }
    let response = try debug(client.send("GET", "/debug/topics/lag", query: query), "topics lag", missing: "lag API (/debug/topics/lag)")
    guard case .array(let rows)? = response.json?["rows"] else {
      throw CommandFailure(.failure, "topics lag: unexpected answer: \(response.text.prefix(200))")
    }
    let parsed = rows.map { LagRendering.row(from: $0, group: group) }
      .sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    // DriftQ-Core does not say whether the group exists: rows mean it does.
    let exists = response.json?["group_exists"].map { $0 == .bool(true) } ?? !parsed.isEmpty
    return LagAnswer(rows: parsed, groupExists: exists)
  }

  func peek(topic: String, partition: Int?, limit: Int) throws -> [String] {
    var query = [("topic", topic), ("limit", String(limit))]
    if let partition { query.append(("partition", String(partition))) }
    let response = try client.send("GET", "/debug/topics/peek", query: query)
    if response.status == 501 || (response.status == 404 && !response.text.hasPrefix("topic not found")) {
      throw CommandFailure(.unavailable, "\(client.base) has no peek API that reads without leasing (\(response.status) \(response.text.trimmingTrailingWhitespace().prefix(80))); 'consume --group _peek' leases instead")
    }
    if response.status == 404 { throw BrokerRejection(.topicNotFound, "topic not found: \(topic)") }
    guard response.status == 200, case .array(let messages)? = response.json?["messages"] else { throw failure(response, "topics peek") }
    return messages.map { JSONWriter.encode($0) }
  }

  /// `/debug/topics/tail` (a driftqctl extension): each answer carries the cursor the next
  /// call resumes from; following, the server holds a call until something arrives.
  func tail(_ request: TailRequest, deliver: (String) -> Bool) throws {
    try client.require(.topicTail, "way to read a topic without a lease (/debug/topics/tail)")
    let started = MonotonicClock.nowMs()
    var cursor: String?
    var delivered = 0
    while true {
      let room = min(request.limit.map { $0 - delivered } ?? Int.max, 1000)
      var query = [("topic", request.topic), ("max", String(room))]
      if let cursor {
        query.append(("cursor", cursor))
      } else {
        query.append(("from", request.start.query))
        if let partition = request.partition { query.append(("partition", String(partition))) }
      }
      let left = request.waitMs.map { $0 - (MonotonicClock.nowMs() - started) }
      if request.follow { query.append(("wait_ms", String(max(0, min(left ?? 5000, 5000))))) }
      let response = try client.send("GET", "/debug/topics/tail", query: query)
      guard response.status == 200, let json = response.json, case .array(let messages)? = json["messages"], let next = json["cursor"]?.stringValue else {
        throw failure(response, "topics tail")
      }
      cursor = next
      for message in messages {
        delivered += 1
        guard deliver(JSONWriter.encode(message)) else { return }
      }
      if let limit = request.limit, delivered >= limit { return }
      guard request.follow else { if messages.isEmpty { return } else { continue } }
      if let left, left <= 0 { return }
    }
  }

  // MARK: - Messages

  /// DriftQ's produce body; bytes that are not UTF-8 go base64 where the server takes it.
  private func produceBody(_ r: PublishRequest, binary: Bool) throws -> JSONValue {
    var members: [(String, JSONValue)] = [("topic", .string(r.topic))]
    let key = String(validating: r.key, as: UTF8.self)
    let value = String(validating: r.value, as: UTF8.self)
    if (key == nil || value == nil) && !binary {
      throw BrokerRejection(.invalidArgument, "this server carries keys and values as text only, and this one is not UTF-8 (DriftQ-Core has no value_encoding; use 'driftqctl serve' or a local --wal-dir)")
    }
    if let key {
      if !key.isEmpty { members.append(("key", .string(key))) }
    } else {
      members += [("key", .string(Base64.encode(r.key))), ("key_encoding", .string("base64"))]
    }
    if let value {
      members.append(("value", .string(value)))
    } else {
      members += [("value", .string(Base64.encode(r.value))), ("value_encoding", .string("base64"))]
    }
    if !r.envelope.isEmpty { members.append(("envelope", PayloadRendering.envelope(r.envelope))) }
    return .object(members)
  }

  func publish(_ requests: [PublishRequest]) throws -> [Result<PublishReceipt, BrokerRejection>] {
    let binary = requests.contains { String(validating: $0.key, as: UTF8.self) == nil || String(validating: $0.value, as: UTF8.self) == nil }
      ? try has(.binaryValues) : false
    var bodies: [(Int, JSONValue)] = []
    var outcomes = [Result<PublishReceipt, BrokerRejection>?](repeating: nil, count: requests.count)
    for (index, request) in requests.enumerated() {
      do { bodies.append((index, try produceBody(request, binary: binary))) } catch let rejection as BrokerRejection {
        outcomes[index] = .failure(rejection)
      }
    }
    var start = 0
    while start < bodies.count {
      let chunk = bodies[start..<min(start + 256, bodies.count)]
      let responses = chunk.count == 1
        ? [try client.send("POST", "/v1/produce", json: chunk[chunk.startIndex].1)]
        : try client.pipeline(chunk.map { ("POST", "/v1/produce", $0.1) })
      for ((index, _), response) in zip(chunk, responses) {
        outcomes[index] = try receipt(response, requested: requests[index].topic)
      }
      start += chunk.count
    }
    return outcomes.map { $0 ?? .failure(BrokerRejection(.invalidArgument, "not sent")) }
  }

  private func receipt(_ response: HTTPClient.Response, requested: String) throws -> Result<PublishReceipt, BrokerRejection> {
    guard response.status == 200 || response.status == 201 else {
      if let rejection = RejectionWire.rejection(from: response) { return .failure(rejection) }
      throw HTTPClient.failure(response, action: "publish")
    }
    let json = response.json
    var place: MessageOrigin?
    if let partition = json?["partition"]?.int64Value, let offset = json?["offset"]?.int64Value {
      place = MessageOrigin(topic: json?["target_topic"]?.stringValue ?? requested, partition: Int(partition), offset: offset)
    }
    return .success(PublishReceipt(requestedTopic: requested, place: place, duplicate: json?["duplicate"] == .bool(true)))
  }

  func settle(_ requests: [SettleRequest]) throws -> [Result<SettleReceipt, BrokerRejection>] {
    var outcomes: [Result<SettleReceipt, BrokerRejection>] = []
    var start = 0
    // Acks are small: a whole batch goes out pipelined at once, so the server decides it in
    // as few group commits as it can.
    while start < requests.count {
      let chunk = requests[start..<min(start + 8192, requests.count)]
      let calls = chunk.map { r -> (method: String, path: String, json: JSONValue) in
        var members: [(String, JSONValue)] = [
          ("topic", .string(r.topic)), ("group", .string(r.group)), ("owner", .string(r.owner)),
          ("partition", .int(r.partition)), ("offset", .int(r.offset)),
        ]
        if case .nack(let reason) = r.action, !reason.isEmpty { members.append(("reason", .string(reason))) }
        if case .ack = r.action { return ("POST", "/v1/ack", .object(members)) }
        return ("POST", "/v1/nack", .object(members))
      }
      let responses = calls.count == 1
        ? [try client.send(calls[0].method, calls[0].path, json: calls[0].json)]
        : try client.pipeline(calls)
      for (request, response) in zip(chunk, responses) {
        guard (200..<300).contains(response.status) else {
          guard let rejection = RejectionWire.rejection(from: response) else {
            throw HTTPClient.failure(response, action: request.action == .ack ? "ack" : "nack")
          }
          outcomes.append(.failure(rejection))
          continue
        }
        var receipt = SettleReceipt(reason: nil)
        if case .nack(let reason) = request.action { receipt.reason = reason.isEmpty ? "nack" : reason }
        if let moved = response.headers["x-driftq-dead-lettered"] { receipt = Self.deadLettered(moved, into: receipt) }
        outcomes.append(.success(receipt))
      }
      start += chunk.count
    }
    return outcomes
  }

  /// `X-DriftQ-Dead-Lettered: TOPIC PARTITION OFFSET ATTEMPTS`, as `serve` sends it.
  static func deadLettered(_ header: String, into receipt: SettleReceipt) -> SettleReceipt {
    let parts = header.split(separator: " ")
    guard parts.count == 4, let partition = Int(parts[1]), let offset = Int64(parts[2]), let attempts = Int(parts[3]) else { return receipt }
    var receipt = receipt
    receipt.deadLettered = MessageOrigin(topic: String(parts[0]), partition: partition, offset: offset)
    receipt.attempts = attempts
    return receipt
  }

  func consume(_ request: ConsumeRequest, deliver: (ConsumeLine) -> Bool) throws -> ConsumeSummary {
    var summary = ConsumeSummary()
    let limits = try has(.consumeLimits)
    var query = [("topic", request.topic), ("group", request.group), ("owner", request.owner), ("lease_ms", String(request.leaseMs))]
    if limits {
      switch request.maxInflight {
      case .faceDefault, .none: break  // a stream may lower the server's cap, never lift it
      case .limit(let n): query.append(("max_inflight", String(n)))
      }
      if !request.follow { query.append(("until_idle", "1")) }
    } else if request.limit != nil {
      summary.serverMayHoldMore = true
    }
    let overall = request.waitMs.map { WALTimestamp.now().adding(milliseconds: $0) }
    // One lease is printed once, even when a reconnect brings it again.
    var printed: Set<[Int64]> = []
    var backoffMs: Int64 = 50
    while true {
      var stream = query
      if limits, let limit = request.limit { stream.append(("max", String(limit - summary.delivered))) }
      // Without the idle extension, a one-shot consume stops once nothing came for a second.
      let idle = request.follow || limits ? overall : WALTimestamp.now().adding(milliseconds: min(request.waitMs ?? 1000, 1000))
      var sawItem = false
      var stopped = false
      let end: HTTPClient.StreamEnd
      do {
        end = try client.stream("/v1/consume", query: stream, deadline: idle) { text in
          if text.utf8.starts(with: #"{"stream_end""#.utf8), let json = try? JSONParser.parse(bytes: Array(text.utf8)) {
            if json["stream_end"]?.stringValue == "inflight_cap" { summary.heldByInflightCap = true }
            summary.deadLettered += Int(json["dead_lettered"]?.int64Value ?? 0)
            return false
          }
          let (partition, offset, attempts) = Self.place(of: text)
          guard printed.insert([partition, offset, attempts]).inserted else { return true }
          sawItem = true
          summary.delivered += 1
          guard deliver(ConsumeLine(text: text, partition: Int(partition), offset: offset)) else { stopped = true; return false }
          if let limit = request.limit, summary.delivered >= limit { return false }
          return true
        }
      } catch let response as HTTPClient.Response {
        throw failure(response, "consume")
      }
      if stopped { return summary }
      if let limit = request.limit, summary.delivered >= limit { return summary }
      if let overall, WALTimestamp.now() >= overall { return summary }
      switch end {
      case .finished, .deadline:
        if !request.follow { return summary }
        backoffMs = 50
      case .dropped:
        // A server restart: reconnect with backoff until --wait runs out (or forever).
        guard request.follow else {
          if sawItem { return summary }
          throw CommandFailure(.unavailable, "cannot reach \(client.base): the consume stream was closed")
        }
        var pause = timespec(tv_sec: Int(backoffMs / 1000), tv_nsec: Int(backoffMs % 1000) * 1_000_000)
        nanosleep(&pause, nil)
        backoffMs = min(backoffMs * 2, 2000)
      }
    }
  }

  /// A ConsumeItem's partition, offset and attempts. DriftQ writes them first, in that order
  /// (`{"partition":P,"offset":O,"attempts":A,…`), so they are read without parsing the
  /// whole line; any other line is parsed (-1 where a member is missing).
  static func place(of line: String) -> (partition: Int64, offset: Int64, attempts: Int64) {
    var bytes = Substring(line).utf8[...]
    func number(after key: String) -> Int64? {
      guard bytes.starts(with: key.utf8) else { return nil }
      bytes = bytes.dropFirst(key.utf8.count)
      let digits = bytes.prefix { $0 >= 48 && $0 <= 57 }
      guard !digits.isEmpty, digits.count < 19 else { return nil }
      bytes = bytes.dropFirst(digits.count)
      return digits.reduce(0) { $0 * 10 + Int64($1 - 48) }
    }
    if let p = number(after: #"{"partition":"#), let o = number(after: #","offset":"#), let a = number(after: #","attempts":"#) {
      return (p, o, a)
    }
    let json = try? JSONParser.parse(bytes: Array(line.utf8))
    return (json?["partition"]?.int64Value ?? -1, json?["offset"]?.int64Value ?? -1, json?["attempts"]?.int64Value ?? -1)
  }

  // MARK: - Groups and dead letters (driftqctl extensions)

  func groups() throws -> [GroupSummary] {
    try require(.groups, "groups API (/debug/groups)")
    let response = try ok(client.send("GET", "/debug/groups"), "groups list")
    return try decode("groups list") { try BrokerWire.groups(response.json) }
  }

  func seek(_ request: SeekRequest) throws -> [BrokerDecider.SeekStep] {
    try require(.groups, "group seek API (/debug/groups/seek)")
    let response = try ok(client.send("POST", "/debug/groups/seek", json: BrokerWire.seekRequest(request)), "groups seek")
    return try decode("groups seek") { try BrokerWire.seekPlan(response.json) }
  }

  func deadLetters(topic: String) throws -> [DeadLetterEntry] {
    try require(.deadLetters, "dead-letter API (/debug/dlq)")
    let response = try ok(client.send("GET", "/debug/dlq", query: [("topic", topic)]), "dlq list")
    return try decode("dlq list") { try BrokerWire.deadLetters(response.json) }
  }

  func redrive(_ request: RedriveRequest) throws -> RedriveOutcome {
    try require(.deadLetters, "redrive API (/debug/dlq/redrive)")
    let response = try ok(client.send("POST", "/debug/dlq/redrive", json: BrokerWire.redriveRequest(request)), "dlq redrive")
    return try decode("dlq redrive") { try BrokerWire.redriveOutcome(response.json) }
  }

  // MARK: - Lifecycle (a driftqctl extension)

  func deleteTopic(_ topic: String, execute: Bool) throws -> BrokerDecider.TopicRemoval {
    try require(.lifecycle, "topic delete API (/debug/topics/delete)")
    let response = try ok(client.send("POST", "/debug/topics/delete", json: BrokerWire.removalRequest([("topic", topic)], execute: execute)), "topics delete")
    return try decode("topics delete") { try BrokerWire.topicRemoval(response.json) }
  }

  func deleteGroup(topic: String, group: String, execute: Bool) throws -> BrokerDecider.GroupRemoval {
    try require(.lifecycle, "group delete API (/debug/groups/delete)")
    let body = BrokerWire.removalRequest([("topic", topic), ("group", group)], execute: execute)
    let response = try ok(client.send("POST", "/debug/groups/delete", json: body), "groups delete")
    return try decode("groups delete") { try BrokerWire.groupRemoval(response.json) }
  }

  func purgeDeadLetters(_ request: PurgeRequest) throws -> PurgeOutcome {
    try require(.lifecycle, "DLQ purge API (/debug/dlq/purge)")
    let response = try ok(client.send("POST", "/debug/dlq/purge", json: BrokerWire.purgeRequest(request)), "dlq purge")
    return try decode("dlq purge") { try BrokerWire.purgeOutcome(response.json) }
  }
}
