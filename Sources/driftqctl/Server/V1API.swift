import ReplayEngine
import WALFormat

/// DriftQ's `/v1` API on the shared engine: shapes, codes and messages as DriftQ-Core's,
/// with our documented improvements (produce answers with partition and offset, topic creation
/// idempotent, deliveries durable).
struct V1API {
  let service: BrokerService
  let configuration: JSONValue

  static func invalid(_ message: String) -> HTTPResponse { .error(400, "INVALID_ARGUMENT", message) }

  func healthz() -> HTTPResponse { .json(200, .object([("status", .string("ok"))])) }

  func version() -> HTTPResponse {
    .json(200, .object([("version", .string(CLI.version)), ("commit", .string("unknown")), ("wal_enabled", .bool(true))]))
  }

  func config() -> HTTPResponse { .json(200, configuration) }

  func listTopics() throws -> HTTPResponse {
    let names = try service.read { broker, _ in broker.topicNames }
    return .json(200, .object([("topics", .array(names.map { .string($0) }))]))
  }

  func createTopic(_ request: HTTPRequest) throws -> HTTPResponse {
    let input: RequestInput
    do { input = try RequestInput(request, allowed: ["name", "partitions"]) } catch { return Self.invalid(error.message) }
    let name: String
    let requested: Int64?
    do {
      name = try input.string("name")
      requested = try input.integer("partitions", invalid: "invalid partitions")
    } catch { return Self.invalid(error.message) }
    guard !name.isEmpty else { return Self.invalid("name is required") }
    guard (requested ?? 0) >= 0 else { return Self.invalid("invalid partitions") }
    let partitions = Int(max(1, min(requested ?? 1, Int64(NameRules.maximumPartitions + 1))))
    let existed: Bool
    do {
      existed = try service.commit { broker, _, _, _ in
        let created = try BrokerDecider.createTopic(broker, name: name, partitions: partitions).get()
        return (created.map { [.broker(.topicCreated($0))] } ?? [], created == nil)
      }
    } catch let rejection as BrokerRejection {
      // Every DriftQ client treats 409 as "already exists"; a different count is a conflict.
      return rejection.code == .topicExists ? .error(409, "FAILED_PRECONDITION", rejection.message) : Self.invalid(rejection.message)
    }
    // 201 either way, as DriftQ v1 (clients accept it); `existed` tells a re-creation apart.
    var body: [(String, JSONValue)] = [("status", .string("created")), ("name", .string(name)), ("partitions", .int(partitions))]
    if existed { body.append(("existed", .bool(true))) }
    return .json(201, .object(body))
  }

  // MARK: - Produce

  static let produceKeys: Set<String> = ["topic", "key", "value", "envelope"]

  /// A produce: its decision queued for the next write, answered once it is written.
  func produce(_ request: HTTPRequest) -> Prepared {
    let input: RequestInput
    do { input = try RequestInput(request, allowed: Self.produceKeys) } catch { return .answer(Self.invalid(error.message)) }
    let topic: String
    let key: String
    let value: String
    var envelope = Envelope()
    do {
      topic = try input.string("topic")
      key = try input.string("key")
      value = try input.json.map { json throws(RequestInput.BadBody) -> String in
        guard let v = json["value"], !v.isNull else { return "" }
        guard let text = v.stringValue else {
          throw RequestInput.BadBody(message: "invalid json body: json: cannot unmarshal \(v.typeName) into Go struct field ProduceRequest.value of type string")
        }
        return text
      } ?? input.string("value")
      if let json = input.json {
        if let e = json["envelope"], !e.isNull {
          do { envelope = try EnvelopeInput.parse(json: e) } catch {
            let field = error.message.hasPrefix("unknown field envelope.") ? String(error.message.dropFirst("unknown field envelope.".count)) : nil
            throw RequestInput.BadBody(message: field.map { "invalid json body: json: unknown field \"\($0)\"" } ?? "invalid json body: \(error.message)")
          }
        }
      } else {
        envelope = try queryEnvelope(input)
      }
    } catch let bad as RequestInput.BadBody {
      return .answer(Self.invalid(bad.message))
    } catch {
      return .answer(Self.invalid("\(error)"))
    }
    guard !topic.isEmpty, !value.isEmpty else { return .answer(Self.invalid("topic and value are required")) }
    let pending = service.enqueue { broker, _, now, batch in
      let outcome = try BrokerDecider.publish(broker, topic: topic, key: Array(key.utf8), value: Array(value.utf8), envelope: envelope, now: now, pending: &batch.pending).get()
      if case .published(let message) = outcome { return ([.broker(.messagePublished(message))], outcome) }
      return ([], outcome)
    }
    return .pending(pending.ticket) { [service] in
    do {
      let outcome = try pending.get()
      var body: [(String, JSONValue)] = [("status", .string("produced")), ("topic", .string(topic))]
      switch outcome {
      case .published(let m): body += [("partition", .int(m.partition)), ("offset", .int(m.offset))]
      case .duplicate(let o): body += [("partition", .int(o.partition)), ("offset", .int(o.offset)), ("duplicate", .bool(true))]
      }
      return .json(200, .object(body))
    } catch let rejection as BrokerRejection {
      switch rejection.code {
      case .topicNotFound: return Self.invalid("topic does not exist (create it first)")
      case .resourceExhausted:
        let reason = rejection.reason ?? "partition_buffer_full"
        service.metrics.recordRejected(reason: reason)
        var response = HTTPResponse.json(429, .object([
          ("error", .string("RESOURCE_EXHAUSTED")), ("message", .string("producer overload: \(reason)")),
          ("reason", .string(reason)), ("retry_after_ms", .int(1000)),
        ]))
        response.headers.append(("Retry-After", "1"))
        return response
      default: return Self.invalid(rejection.message)
      }
    } catch {
      return .error(500, "INTERNAL", "\(error)")
    }
    }
  }

  /// DriftQ's produce query parameters, with its messages.
  private func queryEnvelope(_ input: RequestInput) throws(RequestInput.BadBody) -> Envelope {
    var e = Envelope()
    e.runID = try input.string("run_id")
    e.stepID = try input.string("step_id")
    e.parentStepID = try input.string("parent_step_id")
    e.tenantID = try input.string("tenant_id", aliases: ["tenant"])
    e.idempotencyKey = try input.string("idempotency_key", aliases: ["idem_key"])
    e.targetTopic = try input.string("target_topic")
    if let p = try input.integer("partition_override", invalid: "invalid partition_override") {
      guard p >= 0 else { throw RequestInput.BadBody(message: "invalid partition_override") }
      e.partitionOverride = Int(min(p, Int64(Int32.max)))
    }
    if let text = input.query["deadline_rfc3339"], !text.isEmpty {
      guard let time = RFC3339.parse(text) else { throw RequestInput.BadBody(message: "invalid deadline_rfc3339: \(text)") }
      e.deadline = time
    } else if let text = input.query["deadline_ms"], !text.isEmpty {
      guard let ms = Int64(text) else { throw RequestInput.BadBody(message: "invalid deadline_ms: \(text)") }
      e.deadline = WALTimestamp(milliseconds: ms)
    }
    func nonNegative(_ key: String) throws(RequestInput.BadBody) -> Int64? {
      guard let n = try input.integer(key, invalid: "invalid \(key)") else { return nil }
      guard n >= 0 else { throw RequestInput.BadBody(message: "invalid \(key)") }
      return n
    }
    let attempts = try nonNegative("retry_max_attempts") ?? 0
    let backoff = try nonNegative("retry_backoff_ms") ?? 0
    let maxBackoff = try nonNegative("retry_max_backoff_ms") ?? 0
    if (input.query["retry_backoff_ms"] != nil || input.query["retry_max_backoff_ms"] != nil) && attempts <= 0 {
      throw RequestInput.BadBody(message: "retry_max_attempts must be > 0 when using retry backoff params")
    }
    let policy = RetryPolicy(maxAttempts: Int(min(attempts, 1_000_000)), backoffMs: backoff, maxBackoffMs: maxBackoff)
    if !policy.isEmpty { e.retryPolicy = policy }
    return e
  }

  // MARK: - Ack and nack

  static let settleKeys: Set<String> = ["topic", "group", "owner", "partition", "offset"]

  enum Settle { case ack, nack, ackCumulative }

  /// An ack or nack: its decision queued for the next write, answered once it is written.
  func settle(_ request: HTTPRequest, _ kind: Settle) -> Prepared {
    let input: RequestInput
    do { input = try RequestInput(request, allowed: kind == .nack ? Self.settleKeys.union(["reason"]) : Self.settleKeys) } catch {
      // DriftQ checks ack/nack keys by hand: "unknown field: <key>".
      if error.message.contains("unknown field") {
        let key = error.message.split(separator: "\"").dropFirst().first.map(String.init) ?? ""
        return .answer(Self.invalid("unknown field: \(key)"))
      }
      return .answer(Self.invalid(error.message))
    }
    let topic: String, group: String, owner: String, reason: String
    let partition: Int64?, offset: Int64?
    do {
      topic = try input.string("topic")
      group = try input.string("group")
      owner = try input.string("owner")
      reason = try input.string("reason")
      partition = try input.integer("partition", invalid: "invalid partition")
      offset = try input.integer("offset", invalid: "invalid offset")
    } catch { return .answer(Self.invalid(error.message)) }
    guard !topic.isEmpty, !group.isEmpty, !owner.isEmpty else { return .answer(Self.invalid("topic, group, and owner are required")) }
    guard let partition, let offset else { return .answer(Self.invalid("partition and offset are required")) }
    guard partition >= 0, partition < Int64(NameRules.maximumPartitions) else { return .answer(Self.invalid("partition out of range")) }
    guard offset >= 0 else { return .answer(Self.invalid("invalid offset")) }
    let loader = service.loader
    let pending = service.enqueue { broker, _, now, batch in
        let key = GroupKey(topic: topic, group: group)
        var settled = batch.settled[key] ?? []
        defer { batch.settled[key] = settled }
        switch kind {
        case .ack:
          let event = try BrokerDecider.ack(broker, topic: topic, group: group, owner: owner, partition: Int(partition), offset: offset, settled: &settled).get()
          return ([.broker(.messageAcked(event))], ())
        case .nack:
          let events = try BrokerDecider.nack(broker, topic: topic, group: group, owner: owner, partition: Int(partition), offset: offset,
            reason: reason, now: now, settled: &settled, pending: &batch.pending, loader: loader)
          return (events.map { .broker($0) }, ())
        case .ackCumulative:
          let cursor = broker.cursor(topic: topic, group: group, partition: Int(partition))
          guard offset > cursor.committed else { return ([], ()) }
          var events: [LogEvent] = []
          for o in (cursor.committed + 1)...offset where !cursor.ackedAhead.contains(o) {
            switch BrokerDecider.ack(broker, topic: topic, group: group, owner: owner, partition: Int(partition), offset: o, settled: &settled) {
            case .success(let e): events.append(.broker(.messageAcked(e)))
            case .failure(let r) where r.code == .notInFlight: throw BrokerRejection(.notInFlight, "message range is not fully in-flight")
            case .failure(let r): throw r
            }
          }
          return (events, ())
        }
    }
    return .pending(pending.ticket) {
    do {
      try pending.get()
    } catch let rejection as BrokerRejection {
      switch rejection.code {
      case .notOwner: return .error(409, "FAILED_PRECONDITION", "not owner")
      case .topicNotFound: return Self.invalid("topic does not exist")
      case .notInFlight: return Self.invalid(rejection.message.hasPrefix("message range") ? rejection.message : "message is not in-flight")
      default: return Self.invalid(rejection.message)
      }
    } catch {
      return .error(500, "INTERNAL", "\(error)")
    }
    return HTTPResponse(status: 204)
    }
  }
}
