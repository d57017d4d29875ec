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
    // DriftQ-Core stored what clients sent, negative numbers included: a negative count or
    // delay is read as none, and every number is bounded before our encoder sees it.
    func count(_ field: String, limit: Int64 = Int64(Int32.max)) -> Int64 { min(max(0, j[field]?.int64Value ?? 0), limit) }
    e.partitionOverride = j["partition_override"]?.int64Value.flatMap { $0 >= 0 && $0 < Int64(NameRules.maximumPartitions) ? Int($0) : nil }
    let policy = RetryPolicy(
      maxAttempts: Int(count("retry_max_attempts")), backoffMs: count("retry_backoff_ms", limit: Int64.max / 1_000_000),
      maxBackoffMs: count("retry_max_backoff_ms", limit: Int64.max / 1_000_000))
    e.retryPolicy = policy.isEmpty ? nil : policy
    if case .object(let members)? = j["labels"] {
      for (name, value) in members { if let text = value.stringValue { e.labels[name] = text } }
    }
    if let original = j["dlq_original_topic"]?.stringValue, !original.isEmpty {
      e.dlq = DeadLetterInfo(
        originalTopic: original, originalPartition: Int(count("dlq_original_partition", limit: Int64(NameRules.maximumPartitions - 1))),
        originalOffset: count("dlq_original_offset", limit: Int64.max), attempts: Int(count("dlq_attempts")),
        lastError: j["dlq_last_error"]?.stringValue ?? "",
        routedAt: WALTimestamp(nanoseconds: count("dlq_routed_at_ms", limit: Int64.max / 1_000_000) * 1_000_000),
        group: "", reason: "", originalRetryPolicy: nil)
    }
    return MessagePublished(topic: topic, partition: Int(partition), offset: offset, key: try bytes("key"), value: try bytes("value"), envelope: e)
  }
}
