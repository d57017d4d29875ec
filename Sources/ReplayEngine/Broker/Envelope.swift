import WALFormat

/// DriftQ's message envelope: correlation ids, idempotency, routing and retry settings.
/// Empty strings mean "not set", as DriftQ's `omitempty` does.
public struct Envelope: Sendable, Equatable {
  public var runID = ""
  public var stepID = ""
  public var parentStepID = ""
  public var tenantID = ""
  public var idempotencyKey = ""
  public var targetTopic = ""
  public var deadline: WALTimestamp?
  public var retryPolicy: RetryPolicy?
  public var partitionOverride: Int?
  /// Informational labels (DriftQ keeps them internally; we store and show them).
  public var labels: [String: String] = [:]
  /// Set on a dead-lettered copy: where it came from and why it failed.
  public var dlq: DeadLetterInfo?
  /// Set on a message that `dlq redrive` republished: the DLQ message it came from.
  public var redrivenFrom: MessageOrigin?

  public init() {}

  public var isEmpty: Bool {
    runID.isEmpty && stepID.isEmpty && parentStepID.isEmpty && tenantID.isEmpty
      && idempotencyKey.isEmpty && targetTopic.isEmpty && deadline == nil
      && (retryPolicy?.isEmpty ?? true) && partitionOverride == nil && labels.isEmpty
      && dlq == nil && redrivenFrom == nil
  }
}

/// Where a message is: topic, partition and offset.
public struct MessageOrigin: Sendable, Hashable {
  public var topic: String
  public var partition: Int
  public var offset: Int64
  public init(topic: String, partition: Int, offset: Int64) {
    self.topic = topic
    self.partition = partition
    self.offset = offset
  }
}

/// DriftQ's DLQ metadata (`original_topic`, …, `routed_at_ms`), plus the group whose
/// deliveries failed, why it was moved, and the original retry policy (restored on redrive).
public struct DeadLetterInfo: Sendable, Equatable {
  public var originalTopic: String
  public var originalPartition: Int
  public var originalOffset: Int64
  public var attempts: Int
  /// The full `last_error` chain ("ack_timeout | boom | boom").
  public var lastError: String
  public var routedAt: WALTimestamp
  public var group: String
  /// `max_attempts_reached` or `deadline_exceeded`.
  public var reason: String
  public var originalRetryPolicy: RetryPolicy?

  public init(
    originalTopic: String, originalPartition: Int, originalOffset: Int64, attempts: Int, lastError: String,
    routedAt: WALTimestamp, group: String, reason: String, originalRetryPolicy: RetryPolicy?
  ) {
    self.originalTopic = originalTopic
    self.originalPartition = originalPartition
    self.originalOffset = originalOffset
    self.attempts = attempts
    self.lastError = lastError
    self.routedAt = routedAt
    self.group = group
    self.reason = reason
    self.originalRetryPolicy = originalRetryPolicy
  }
}
