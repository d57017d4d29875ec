import ReplayEngine
import WALFormat

/// How message bytes and envelopes appear in JSON output.
///
/// Keys and values are JSON strings, as in DriftQ. Bytes that are not valid UTF-8 are shown
/// as base64 and marked by an extra `"<field>_encoding":"base64"` key, so nothing is lost or
/// mangled and a reader can tell.
enum PayloadRendering {
  /// The text to show for `bytes`, and whether it is base64.
  static func text(_ bytes: [UInt8]) -> (String, isBase64: Bool) {
    if let text = String(validating: bytes, as: UTF8.self) { return (text, false) }
    return (Base64.encode(bytes), true)
  }

  /// DriftQ's HTTP envelope, keys in DriftQ's order, empty fields left out; `labels` (which
  /// DriftQ keeps internal) is added last when present.
  static func envelope(_ e: Envelope) -> JSONValue {
    var members: [(String, JSONValue)] = []
    func add(_ key: String, _ value: String) { if !value.isEmpty { members.append((key, .string(value))) } }
    add("run_id", e.runID)
    add("step_id", e.stepID)
    add("parent_step_id", e.parentStepID)
    add("tenant_id", e.tenantID)
    add("idempotency_key", e.idempotencyKey)
    add("target_topic", e.targetTopic)
    if let deadline = e.deadline { members.append(("deadline", .string(RFC3339.format(deadline)))) }
    if let policy = e.retryPolicy, !policy.isEmpty {
      var p: [(String, JSONValue)] = []
      if policy.maxAttempts != 0 { p.append(("max_attempts", .int(policy.maxAttempts))) }
      if policy.backoffMs != 0 { p.append(("backoff_ms", .int(policy.backoffMs))) }
      if policy.maxBackoffMs != 0 { p.append(("max_backoff_ms", .int(policy.maxBackoffMs))) }
      members.append(("retry_policy", .object(p)))
    }
    if let partition = e.partitionOverride { members.append(("partition_override", .int(partition))) }
    if !e.labels.isEmpty {
      members.append(("labels", .object(e.labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
    }
    if let dlq = e.dlq { members.append(("dlq", deadLetterInfo(dlq))) }
    if let origin = e.redrivenFrom { members.append(("redriven_from", Self.origin(origin))) }
    return .object(members)
  }

  /// DriftQ's DLQ metadata keys, plus the group and reason.
  static func deadLetterInfo(_ dlq: DeadLetterInfo) -> JSONValue {
    .object([
      ("original_topic", .string(dlq.originalTopic)), ("original_partition", .int(dlq.originalPartition)),
      ("original_offset", .int(dlq.originalOffset)), ("attempts", .int(dlq.attempts)),
      ("last_error", .string(dlq.lastError)), ("routed_at_ms", .int(dlq.routedAt.milliseconds)),
      ("group", .string(dlq.group)), ("reason", .string(dlq.reason)),
    ])
  }

  static func origin(_ origin: MessageOrigin) -> JSONValue {
    .object([("topic", .string(origin.topic)), ("partition", .int(origin.partition)), ("offset", .int(origin.offset))])
  }

  /// One DriftQ `ConsumeItem`: `partition, offset, attempts, key, value, last_error,
  /// envelope?` in that order, plus encoding markers for non-UTF-8 bytes.
  static func consumeItem(_ message: MessagePublished, attempts: Int, lastError: String) -> String {
    var w = JSONWriter(capacity: 128 + message.value.count)
    w.raw("{\"partition\":")
    w.integer(message.partition)
    w.raw(",\"offset\":")
    w.integer(message.offset)
    w.raw(",\"attempts\":")
    w.integer(attempts)
    let (key, keyIsBase64) = text(message.key)
    let (value, valueIsBase64) = text(message.value)
    w.raw(",\"key\":")
    w.string(key)
    w.raw(",\"value\":")
    w.string(value)
    w.raw(",\"last_error\":")
    w.string(lastError)
    if !message.envelope.isEmpty {
      w.raw(",\"envelope\":")
      w.value(envelope(message.envelope))
    }
    if keyIsBase64 { w.raw(",\"key_encoding\":\"base64\"") }
    if valueIsBase64 { w.raw(",\"value_encoding\":\"base64\"") }
    w.raw("}")
    return w.text
  }
}
