import ReplayEngine
import WALFormat

/// DriftQ's `/v1` API on the shared engine: shapes, codes and messages as DriftQ-Core's,
/// with our documented improvements (produce answers with partition and offset, topic creation
/// idempotent, deliveries durable).
struct V1API {
  let service: BrokerService
  let configuration: JSONValue
  /// Backpressure for topics without producer limits of their own (serve's flags).
  let producerLimits: ProducerLimits

  static func invalid(_ message: String) -> HTTPResponse { .error(400, "INVALID_ARGUMENT", message) }

  /// 200 `{"status":"ok"}` as DriftQ answers; 503 once the writer stopped after a failed
  /// write or sync, so a load balancer or supervisor takes the server out and restarts it.
  func healthz() -> HTTPResponse {
    guard let failure = service.writerFailure else { return .json(200, .object([("status", .string("ok"))])) }
    return .json(503, .object([("status", .string("writer_stopped")), ("error", .string(failure.message))]))
  }

  func version() -> HTTPResponse {
    .json(200, .object([
      ("version", .string(CLI.version)), ("commit", .string("unknown")), ("wal_enabled", .bool(true)),
      // driftqctl's extensions of DriftQ's API, which our client asks for before using one.
      ("extensions", .array(BrokerWire.Extension.allCases.map { .string($0.rawValue) })),
    ]))
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
    let creation: TopicCreation
    do {
      creation = try service.commit { broker, _, _, _ in
        let (events, outcome) = try BrokerCommands.createTopic(broker, name: name, partitions: partitions, limits: ProducerLimits())
        return (events.map { .broker($0) }, outcome)
      }
    } catch let rejection as BrokerRejection {
      // Every DriftQ client treats 409 as "already exists"; a different count is a conflict.
      return RejectionWire.response(rejection)
    }
    // 201 either way, as DriftQ v1 (clients accept it); `existed` tells a re-creation apart.
    var body: [(String, JSONValue)] = [("status", .string("created")), ("name", .string(name)), ("partitions", .int(partitions))]
    if !creation.created { body.append(("existed", .bool(true))) }
    return .json(201, .object(body))
  }

  // MARK: - Produce

  static let produceKeys: Set<String> = ["topic", "key", "value", "envelope", "value_encoding", "key_encoding"]

  /// A produce: its decision queued for the next write, answered once it is written.
  func produce(_ request: HTTPRequest) -> Prepared {
    let input: RequestInput
    do { input = try RequestInput(request, allowed: Self.produceKeys) } catch { return .answer(Self.invalid(error.message)) }
    let topic: String
    var key: [UInt8]
    var value: [UInt8]
    var envelope = Envelope()
    do {
      topic = try input.string("topic")
      key = Array(try input.string("key").utf8)
      value = try input.json.map { json throws(RequestInput.BadBody) -> [UInt8] in
        guard let v = json["value"], !v.isNull else { return [] }
        guard let text = v.stringValue else {
          throw RequestInput.BadBody(message: "invalid json body: json: cannot unmarshal \(v.typeName) into Go struct field ProduceRequest.value of type string")
        }
        return Array(text.utf8)
      } ?? Array(input.string("value").utf8)
      // driftqctl's extension: bytes that are not UTF-8 travel base64.
      if try Self.isBase64(input, "key_encoding") {
        guard let bytes = Base64.decode(String(decoding: key, as: UTF8.self)) else { throw RequestInput.BadBody(message: "key is not valid base64") }
        key = bytes
      }
      if try Self.isBase64(input, "value_encoding") {
        guard let bytes = Base64.decode(String(decoding: value, as: UTF8.self)) else { throw RequestInput.BadBody(message: "value is not valid base64") }
        value = bytes
      }
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
    let request = PublishRequest(topic: topic, key: key, value: value, envelope: envelope)
    let pending = service.enqueue { [producerLimits] broker, _, now, batch in
      let (events, outcomes) = BrokerCommands.publish(broker, [request], now: now, defaultLimits: producerLimits, batch: &batch)
      return (events.map { .broker($0) }, try outcomes[0].get())
    }
    return .pending(pending.ticket) { [service] in
      do {
        let receipt = try pending.get()
        var body: [(String, JSONValue)] = [("status", .string("produced")), ("topic", .string(topic))]
        if let place = receipt.place {
          if place.topic != topic { body.append(("target_topic", .string(place.topic))) }
          body += [("partition", .int(place.partition)), ("offset", .int(place.offset))]
        }
        if receipt.duplicate { body.append(("duplicate", .bool(true))) }
        return .json(200, .object(body))
      } catch let rejection as BrokerRejection {
        if rejection.code == .resourceExhausted { service.metrics.recordRejected(reason: rejection.reason ?? "partition_buffer_full") }
        return RejectionWire.response(rejection)
      } catch {
        return .error(500, "INTERNAL", "\(error)")
      }
    }
  }

  /// Whether an `*_encoding` field (driftqctl's extension) says base64.
  private static func isBase64(_ input: RequestInput, _ field: String) throws(RequestInput.BadBody) -> Bool {
    let text = try input.string(field)
    guard text.isEmpty || text == "utf8" || text == "base64" else {
      throw RequestInput.BadBody(message: "\(field) must be \"base64\" or \"utf8\"")
    }
    return text == "base64"
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
      // Milliseconds that fit in nanoseconds since 1970 (until 2262).
      guard let ms = Int64(text), abs(ms) <= Int64.max / 1_000_000 else { throw RequestInput.BadBody(message: "invalid deadline_ms: \(text)") }
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
    let request = SettleRequest(
      topic: topic, group: group, owner: owner, partition: Int(partition), offset: offset, action: kind == .nack ? .nack(reason: reason) : .ack)
    let pending = service.enqueue { broker, _, now, batch -> ([LogEvent], SettleReceipt?) in
      if kind == .ackCumulative {
        let events = try BrokerCommands.ackThrough(
          broker, topic: topic, group: group, owner: owner, partition: Int(partition), offset: offset, batch: &batch)
        return (events.map { .broker($0) }, nil)
      }
      let (events, outcomes) = BrokerCommands.settle(broker, [request], now: now, batch: &batch, loader: loader)
      return (events.map { .broker($0) }, try outcomes[0].get())
    }
    return .pending(pending.ticket) {
      do {
        var response = HTTPResponse(status: 204)
        if let receipt = try pending.get(), let moved = receipt.deadLettered {
          // DriftQ answers 204 with no body; where the DLQ copy went rides in a header.
          response.headers.append(("X-DriftQ-Dead-Lettered", "\(moved.topic) \(moved.partition) \(moved.offset) \(receipt.attempts)"))
        }
        return response
      } catch let rejection as BrokerRejection {
        return RejectionWire.response(rejection)
      } catch {
        return .error(500, "INTERNAL", "\(error)")
      }
    }
  }
}
