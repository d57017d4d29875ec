import ReplayEngine
import WALFormat

/// The JSON of driftqctl's `/debug` extensions (groups, seek, dead letters, redrive): each
/// shape written by `serve` and read back by the HTTP client here, side by side, so the two
/// cannot drift. Times travel as nanoseconds so both faces print the same text.
enum BrokerWire {
  /// What `/v1/version` advertises in `extensions`; a client asks for one before relying on it.
  enum Extension: String, CaseIterable {
    /// `/v1/consume` takes `max`, `max_inflight` and `until_idle`.
    case consumeLimits = "consume-limits"
    /// `/v1/produce` takes `value_encoding: "base64"` and `key_encoding`.
    case binaryValues = "binary-values"
    case groups = "groups"
    case deadLetters = "dlq"
    /// `/debug/run-spec` takes `"detach": true`: the run is created and started, and the
    /// answer comes at once.
    case runsDetach = "runs-detach"
    /// `POST /debug/run-resume {"run_id"}` finishes an interrupted run, answering when it ends.
    case runsResume = "runs-resume"
    /// `GET /debug/topics/tail` reads a topic with no group and no lease (`topics tail`).
    case topicTail = "topic-tail"
    /// `GET /debug/runs` also takes `after`, `status`, `since_ns`, `workflow` and `detail`,
    /// and answers each run's summary in `rows` and the next page's start in `next_after`.
    case runsList = "runs-list"
    /// `POST /debug/topics/delete`, `/debug/groups/delete`, `/debug/dlq/purge` and
    /// `/debug/runs/delete`: each a dry run unless the body has `"execute": true`.
    case lifecycle = "lifecycle"
    /// `GET /debug/run-log?run_id&node_id&attempt&offset` gives an attempt's log from an
    /// offset (`runs logs`), sealed or still being written.
    case runsLogs = "runs-logs"
  }

  struct Malformed: Error, CustomStringConvertible {
    var what: String
    var description: String { "unexpected answer from the server: \(what)" }
  }

  static func origin(_ o: MessageOrigin) -> JSONValue { PayloadRendering.origin(o) }

  static func origin(_ json: JSONValue?) throws -> MessageOrigin {
    guard let json, let topic = json["topic"]?.stringValue, let partition = json["partition"]?.int64Value,
      let offset = json["offset"]?.int64Value
    else { throw Malformed(what: "a message place") }
    return MessageOrigin(topic: topic, partition: Int(partition), offset: offset)
  }

  // MARK: - Groups

  static func groups(_ groups: [GroupSummary]) -> JSONValue {
    .object([("groups", .array(groups.map { g in
      .object([
        ("group", .string(g.group)), ("topic", .string(g.topic)), ("partitions", .int(g.partitions)),
        ("lag", .int(g.lag)), ("inflight", .int(g.inflight)), ("last_activity_ns", .int(g.lastActivity.nanoseconds)),
      ])
    }))])
  }

  static func groups(_ json: JSONValue?) throws -> [GroupSummary] {
    guard case .array(let items)? = json?["groups"] else { throw Malformed(what: "no groups list") }
    return try items.map { g in
      guard let group = g["group"]?.stringValue, let topic = g["topic"]?.stringValue else { throw Malformed(what: "a group") }
      return GroupSummary(
        group: group, topic: topic, partitions: Int(g["partitions"]?.int64Value ?? 0), lag: g["lag"]?.int64Value ?? 0,
        inflight: Int(g["inflight"]?.int64Value ?? 0), lastActivity: WALTimestamp(nanoseconds: g["last_activity_ns"]?.int64Value ?? 0))
    }
  }

  // MARK: - Seek

  static func seekRequest(_ r: SeekRequest) -> JSONValue {
    var target: [(String, JSONValue)]
    switch r.target {
    case .earliest: target = [("to", .string("earliest"))]
    case .latest: target = [("to", .string("latest"))]
    case .offset(let n): target = [("to", .string("offset")), ("offset", .int(n))]
    case .time(let t): target = [("to", .string("time")), ("time_ns", .int(t.nanoseconds))]
    }
    var members: [(String, JSONValue)] = [("topic", .string(r.topic)), ("group", .string(r.group))] + target
    if let p = r.partition { members.append(("partition", .int(p))) }
    members.append(("execute", .bool(r.execute)))
    return .object(members)
  }

  static func seekRequest(_ json: JSONValue) throws -> SeekRequest {
    guard let topic = json["topic"]?.stringValue, let group = json["group"]?.stringValue else {
      throw Malformed(what: "topic and group are required")
    }
    let target: BrokerDecider.SeekTarget
    switch json["to"]?.stringValue {
    case "earliest": target = .earliest
    case "latest": target = .latest
    case "offset":
      guard let n = json["offset"]?.int64Value else { throw Malformed(what: "offset is required") }
      target = .offset(n)
    case "time":
      guard let ns = json["time_ns"]?.int64Value else { throw Malformed(what: "time_ns is required") }
      target = .time(WALTimestamp(nanoseconds: ns))
    default: throw Malformed(what: "to must be earliest, latest, offset or time")
    }
    let partition = try json["partition"].map { p throws(Malformed) -> Int in
      guard let n = p.int64Value, n >= 0, n < Int64(NameRules.maximumPartitions) else { throw Malformed(what: "partition out of range") }
      return Int(n)
    }
    return SeekRequest(topic: topic, group: group, target: target, partition: partition, execute: json["execute"] == .bool(true))
  }

  static func seekPlan(_ plan: [BrokerDecider.SeekStep]) -> JSONValue {
    .object([("plan", .array(plan.map {
      .object([("partition", .int($0.partition)), ("from", .int($0.from)), ("to", .int($0.to)), ("discarded", .int($0.discarded))])
    }))])
  }

  static func seekPlan(_ json: JSONValue?) throws -> [BrokerDecider.SeekStep] {
    guard case .array(let steps)? = json?["plan"] else { throw Malformed(what: "no seek plan") }
    return try steps.map { s in
      guard let p = s["partition"]?.int64Value, let from = s["from"]?.int64Value, let to = s["to"]?.int64Value else {
        throw Malformed(what: "a seek step")
      }
      return BrokerDecider.SeekStep(partition: Int(p), from: from, to: to, discarded: Int(s["discarded"]?.int64Value ?? 0))
    }
  }

  // MARK: - Dead letters

  static func deadLetters(_ entries: [DeadLetterEntry]) -> JSONValue {
    .object([("messages", .array(entries.map { e in
      var members: [(String, JSONValue)] = [("copy", origin(e.copy)), ("key", .string(Base64.encode(e.key)))]
      let i = e.info
      members.append(("dlq", .object([
        ("original_topic", .string(i.originalTopic)), ("original_partition", .int(i.originalPartition)),
        ("original_offset", .int(i.originalOffset)), ("attempts", .int(i.attempts)), ("last_error", .string(i.lastError)),
        ("routed_at_ns", .int(i.routedAt.nanoseconds)), ("group", .string(i.group)), ("reason", .string(i.reason)),
      ])))
      if let to = e.redrivenTo { members.append(("redriven_to", origin(to))) }
      if let at = e.redrivenAt { members.append(("redriven_at_ns", .int(at.nanoseconds))) }
      return .object(members)
    }))])
  }

  static func deadLetters(_ json: JSONValue?) throws -> [DeadLetterEntry] {
    guard case .array(let items)? = json?["messages"] else { throw Malformed(what: "no dead-letter list") }
    return try items.map { e in
      guard let d = e["dlq"], let key = e["key"]?.stringValue.flatMap(Base64.decode) else { throw Malformed(what: "a dead letter") }
      let info = DeadLetterInfo(
        originalTopic: d["original_topic"]?.stringValue ?? "", originalPartition: Int(d["original_partition"]?.int64Value ?? 0),
        originalOffset: d["original_offset"]?.int64Value ?? 0, attempts: Int(d["attempts"]?.int64Value ?? 0),
        lastError: d["last_error"]?.stringValue ?? "", routedAt: WALTimestamp(nanoseconds: d["routed_at_ns"]?.int64Value ?? 0),
        group: d["group"]?.stringValue ?? "", reason: d["reason"]?.stringValue ?? "", originalRetryPolicy: nil)
      return DeadLetterEntry(
        copy: try origin(e["copy"]), info: info, key: key, redrivenTo: try e["redriven_to"].map { try origin($0) },
        redrivenAt: e["redriven_at_ns"]?.int64Value.map { WALTimestamp(nanoseconds: $0) })
    }
  }

  // MARK: - Run logs

  /// A log chunk travels as its bytes (`application/x-ndjson`) with what they are in headers.
  static func logChunkHeaders(_ chunk: RunLogs.Chunk) -> [(String, String)] {
    [
      ("Content-Type", "application/x-ndjson"), ("X-Log-Source", chunk.source.rawValue),
      ("X-Log-Complete", chunk.complete ? "true" : "false"), ("X-Log-Size", String(chunk.size)),
    ]
  }

  static func logChunk(headers: [String: String], body: [UInt8]) throws -> RunLogs.Chunk {
    guard body.count <= RunLogs.chunkLimit else { throw Malformed(what: "a log chunk of \(body.count) bytes, more than \(RunLogs.chunkLimit)") }
    guard let source = headers["x-log-source"].flatMap(RunLogs.Source.init(rawValue:)), let size = headers["x-log-size"].flatMap({ Int($0) }), size >= 0 else {
      throw Malformed(what: "a log chunk without X-Log-Source or X-Log-Size")
    }
    return RunLogs.Chunk(bytes: body, source: source, complete: headers["x-log-complete"] == "true", size: size)
  }

  // MARK: - Redrive

  static func redriveRequest(_ r: RedriveRequest) -> JSONValue {
    var members: [(String, JSONValue)] = [("topic", .string(r.topic))]
    if let to = r.target { members.append(("to", .string(to))) }
    members += selection(r.selection)
    members.append(("dry_run", .bool(r.dryRun)))
    return .object(members)
  }

  static func redriveRequest(_ json: JSONValue) throws -> RedriveRequest {
    guard let topic = json["topic"]?.stringValue else { throw Malformed(what: "topic is required") }
    return RedriveRequest(topic: topic, target: json["to"]?.stringValue, selection: try selection(json), dryRun: json["dry_run"] == .bool(true))
  }

  static func redriveOutcome(_ o: RedriveOutcome) -> JSONValue {
    .object([
      ("moves", .array(o.moves.map { m in .object([("from", origin(m.from))] + (m.to.map { [("to", origin($0))] } ?? [])) })),
      ("skipped", .int(o.skipped)), ("remaining", .int(o.remaining)),
    ])
  }

  static func redriveOutcome(_ json: JSONValue?) throws -> RedriveOutcome {
    guard case .array(let moves)? = json?["moves"] else { throw Malformed(what: "no redrive moves") }
    return RedriveOutcome(
      moves: try moves.map { .init(from: try origin($0["from"]), to: try $0["to"].map { try origin($0) }) },
      skipped: Int(json?["skipped"]?.int64Value ?? 0), remaining: Int(json?["remaining"]?.int64Value ?? 0))
  }
}

extension HTTPClient {
  /// Exit 5, naming `what`, unless the server advertises `feature`.
  func require(_ feature: BrokerWire.Extension, _ what: String) throws {
    guard try advertises(feature.rawValue) else {
      throw CommandFailure(.unavailable, "\(base) has no \(what) (a driftqctl extension that 'driftqctl serve' offers and DriftQ-Core does not)")
    }
  }
}
