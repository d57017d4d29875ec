import WALFormat

/// Identifies a consumer group on one topic.
public struct GroupKey: Hashable, Comparable, Sendable {
  public var topic: String
  public var group: String
  public init(topic: String, group: String) {
    self.topic = topic
    self.group = group
  }
  public static func < (a: Self, b: Self) -> Bool { (a.topic, a.group) < (b.topic, b.group) }
}

/// A lease on one message held by one owner.
public struct Delivery: Sendable, Equatable {
  public var owner: String
  public var attempt: Int
  public var leaseDeadline: WALTimestamp
  public var deliveredAt: WALTimestamp
  /// DriftQ's accumulated `last_error` ("ack_timeout | boom").
  public var lastError: String

  public func isExpired(at now: WALTimestamp) -> Bool { leaseDeadline <= now }
}

/// A message that was nacked and waits to be delivered again.
public struct PendingRetry: Sendable, Equatable {
  public var attempts: Int
  public var lastError: String
  public var since: WALTimestamp
}

/// One group's progress on one partition.
public struct PartitionCursor: Sendable, Equatable {
  /// Highest offset such that it and every offset before it are acked; -1 when none.
  public internal(set) var committed: Int64 = -1
  /// The next offset never delivered to this group (first deliveries go in order).
  public internal(set) var nextNew: Int64 = 0
  /// Acked offsets above `committed` (acks out of order wait here until the gap closes).
  public internal(set) var ackedAhead: Set<Int64> = []
  public internal(set) var inflight: [Int64: Delivery] = [:]
  public internal(set) var retries: [Int64: PendingRetry] = [:]
  public internal(set) var lastDeliveredAt: WALTimestamp?

  public init() {}

  /// Whether `offset` was acked by this group.
  public func isAcked(_ offset: Int64) -> Bool { offset <= committed || ackedAhead.contains(offset) }

  /// Deliveries whose lease has not expired at `now`.
  public func liveLeases(at now: WALTimestamp) -> Int { inflight.values.count { !$0.isExpired(at: now) } }
}

/// A consumer group's state on one topic.
public struct GroupState: Sendable {
  public var key: GroupKey
  public var partitions: [PartitionCursor]
  public var lastActivity: WALTimestamp
}

/// DriftQ's consume-scope idempotency states of a key within a group.
public enum IdempotencyStatus: String, Sendable {
  case pending = "PENDING"
  case committed = "COMMITTED"
  case failed = "FAILED"
}

/// Where a consume-scope idempotency key stands in one group, and which message holds it.
public struct ConsumeKeyState: Sendable, Equatable {
  public var status: IdempotencyStatus
  public var holder: MessageOrigin
  public var owner: String
  public var leaseDeadline: WALTimestamp
}

/// Consume-scope identity: DriftQ's `(tenant, topic, group, key)`.
public struct ConsumeKey: Hashable, Sendable {
  public var tag: IdempotencyTag
  public var topic: String
  public var group: String
}

/// Produce-scope identity: DriftQ's `(tenant, final topic, key)`.
public struct ProduceKey: Hashable, Sendable {
  public var tag: IdempotencyTag
  public var topic: String
}
