import ReplayEngine
import WALFormat

/// A DriftQ-Core message entry (type 1) as our `MessagePublished`: base64 key and value,
/// envelope and DLQ fields, zero values absent.
enum CoreEntryDecoding {
  static func message(_ j: JSONValue) throws(CoreEntryError) -> MessagePublished {
    guard let topic = j["topic"]?.stringValue, !topic.isEmpty else { throw CoreEntryError("message entry without a topic") }
    let partition = j["partition"]?.int64Value ?? 0
    guard partition >= 0, partition < Int64(NameRules.maximumPartitions) else { throw CoreEntryError("partition \(partition) out of range") }
    let offset = j["offset"]?.int64Value ?? 0
    guard offset >= 0 else { throw CoreEntryError("negative offset \(offset)") }
    func bytes(_ field: String) throws(CoreEntryError) -> [UInt8] {
      guard let text = j[field]?.stringValue else { return [] }
      guard let decoded = Base64.decode(text) else { throw CoreEntryError("\(field) is not base64") }
      return decoded
    }
    var e = Envelope()
    e.runID = j["run_id"]?.stringValue ?? ""
    e.stepID = j["step_id"]?.stringValue ?? ""
    e.parentStepID = j["parent_step_id"]?.stringValue ?? ""
    e.tenantID = j["tenant_id"]?.stringValue ?? ""
    e.idempotencyKey = j["idempotency_key"]?.stringValue ?? ""
    e.targetTopic = j["target_topic"]?.stringValue ?? ""
    e.deadline = j["deadline"]?.stringValue.flatMap(RFC3339.parse)
    e.partitionOverride = j["partition_override"]?.int64Value.map { Int($0) }
    let policy = RetryPolicy(
      maxAttempts: Int(j["retry_max_attempts"]?.int64Value ?? 0), backoffMs: j["retry_backoff_ms"]?.int64Value ?? 0,
      maxBackoffMs: j["retry_max_backoff_ms"]?.int64Value ?? 0)
    e.retryPolicy = policy.isEmpty ? nil : policy
    if case .object(let members)? = j["labels"] {
      for (name, value) in members { if let text = value.stringValue { e.labels[name] = text } }
    }
    if let original = j["dlq_original_topic"]?.stringValue, !original.isEmpty {
      e.dlq = DeadLetterInfo(
        originalTopic: original, originalPartition: Int(j["dlq_original_partition"]?.int64Value ?? 0),
        originalOffset: j["dlq_original_offset"]?.int64Value ?? 0, attempts: Int(j["dlq_attempts"]?.int64Value ?? 0),
        lastError: j["dlq_last_error"]?.stringValue ?? "",
        routedAt: WALTimestamp(nanoseconds: (j["dlq_routed_at_ms"]?.int64Value ?? 0) &* 1_000_000),
        group: "", reason: "max_attempts_reached", originalRetryPolicy: nil)
    }
    return MessagePublished(topic: topic, partition: Int(partition), offset: offset, key: try bytes("key"), value: try bytes("value"), envelope: e)
  }
}
