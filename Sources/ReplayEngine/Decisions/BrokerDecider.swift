import WALFormat

/// Pure decisions: a command, the current state and the time in; events (or a rejection) out.
/// The caller appends the events durably and only then folds them in.
public enum BrokerDecider {
  // MARK: - Topics

  /// Creates a topic; nil (no event) when it already exists with the same partition count.
  public static func createTopic(_ state: BrokerState, name: String, partitions: Int) -> Result<TopicCreated?, BrokerRejection> {
    if let problem = NameRules.problem(with: name, what: "name") { return .failure(.init(.invalidArgument, problem)) }
    guard (1...NameRules.maximumPartitions).contains(partitions) else {
      return .failure(.init(.invalidArgument, "partitions must be between 1 and \(NameRules.maximumPartitions)"))
    }
    if let existing = state.topics[name] {
      if existing.partitionCount == partitions { return .success(nil) }
      return .failure(.init(.topicExists, "topic already exists: \(name) (with \(existing.partitionCount) partitions, not \(partitions))"))
    }
    return .success(TopicCreated(name: name, partitions: partitions))
  }

  // MARK: - Publish

  /// The identity of one partition of one topic, for offsets handed out within a batch.
  public struct TopicPartition: Hashable, Sendable {
    public var topic: String
    public var partition: Int
  }

  /// Decides where a message goes and its offset. `pending` counts messages already decided
  /// in the same batch but not yet folded in, so one batch gets consecutive offsets.
  public static func publish(
    _ state: BrokerState, topic: String, key: [UInt8], value: [UInt8], envelope: Envelope,
    now: WALTimestamp, pending: inout [TopicPartition: Int64]
  ) -> Result<MessagePublished, BrokerRejection> {
    if let problem = NameRules.problem(with: topic, what: "topic") { return .failure(.init(.invalidArgument, problem)) }
    guard !value.isEmpty else { return .failure(.init(.invalidArgument, "topic and value are required")) }
    guard key.count <= NameRules.maximumKeyBytes else {
      return .failure(.init(.invalidArgument, "key is larger than \(NameRules.maximumKeyBytes) bytes"))
    }
    guard value.count <= NameRules.maximumValueBytes else {
      return .failure(.init(.invalidArgument, "value is larger than \(NameRules.maximumValueBytes) bytes"))
    }
    let finalTopic = envelope.targetTopic.isEmpty ? topic : envelope.targetTopic
    guard let target = state.topics[finalTopic] else {
      return .failure(.init(.topicNotFound, "topic does not exist (create it first): \(finalTopic)"))
    }
    if let deadline = envelope.deadline, deadline <= now {
      return .failure(.init(.invalidArgument, "message deadline exceeded"))
    }
    let partition: Int
    if let forced = envelope.partitionOverride {
      guard forced >= 0, forced < target.partitionCount else {
        return .failure(.init(.invalidArgument, "partition_override out of range"))
      }
      partition = forced
    } else {
      partition = Partitioner.partition(forKey: key, partitions: target.partitionCount)
    }
    let slot = TopicPartition(topic: finalTopic, partition: partition)
    let offset = target.headOffset(partition) + pending[slot, default: 0]
    pending[slot, default: 0] += 1
    var stored = envelope
    if stored.retryPolicy?.isEmpty == true { stored.retryPolicy = nil }
    return .success(MessagePublished(topic: finalTopic, partition: partition, offset: offset, key: key, value: value, envelope: stored))
  }

  // MARK: - Consume

  /// Leases up to `limit` messages of `topic` to `owner` in `group`: expired leases and
  /// nacked messages first (lowest offset first), then messages never delivered, partition by
  /// partition. `maxInflight` caps live leases per partition (nil: no cap). Leases that
  /// `owner` itself took since `ownLeasesSince` are not handed back to it when they expire, so
  /// one pass of a consumer never sees the same message twice.
  public static func deliveries(
    _ state: BrokerState, topic: String, group: String, owner: String, leaseMs: Int64,
    now: WALTimestamp, limit: Int, maxInflight: Int? = nil, ownLeasesSince: WALTimestamp? = nil
  ) -> Result<[MessageDelivered], BrokerRejection> {
    if let problem = NameRules.problem(with: topic, what: "topic") ?? NameRules.problem(with: group, what: "group")
      ?? NameRules.problem(with: owner, what: "owner")
    {
      return .failure(.init(.invalidArgument, problem))
    }
    guard let topicState = state.topics[topic] else { return .failure(.init(.topicNotFound, "topic does not exist: \(topic)")) }
    let deadline = now.adding(milliseconds: leaseMs)
    var out: [MessageDelivered] = []
    for partition in 0..<topicState.partitionCount where out.count < limit {
      let cursor = state.cursor(topic: topic, group: group, partition: partition)
      var occupied = cursor.liveLeases(at: now)
      func room() -> Bool { out.count < limit && (maxInflight.map { occupied < $0 } ?? true) }
      var again: [(Int64, Int)] = cursor.inflight.compactMap { offset, lease in
        guard lease.isExpired(at: now) else { return nil }
        if let since = ownLeasesSince, lease.owner == owner, lease.deliveredAt >= since { return nil }
        return (offset, lease.attempt + 1)
      }
      again += cursor.retries.map { ($0.key, $0.value.attempts + 1) }
      again.sort { $0.0 < $1.0 }
      for (offset, attempt) in again where room() {
        out.append(MessageDelivered(topic: topic, group: group, partition: partition, offset: offset, owner: owner, attempt: attempt, leaseDeadline: deadline))
        occupied += 1
      }
      var offset = cursor.nextNew
      let head = topicState.headOffset(partition)
      while offset < head && room() {
        out.append(MessageDelivered(topic: topic, group: group, partition: partition, offset: offset, owner: owner, attempt: 1, leaseDeadline: deadline))
        occupied += 1
        offset += 1
      }
    }
    return .success(out)
  }

  /// The earliest time something not deliverable now becomes deliverable (a lease expiring),
  /// so a following consumer knows how long it may sleep.
  public static func nextLeaseExpiry(_ state: BrokerState, topic: String, group: String, after now: WALTimestamp) -> WALTimestamp? {
    guard let groupState = state.groups[GroupKey(topic: topic, group: group)] else { return nil }
    return groupState.partitions.flatMap { $0.inflight.values.map(\.leaseDeadline) }.filter { $0 > now }.min()
  }

  // MARK: - Ack and nack

  /// One message of one group, for acks and nacks decided within a batch.
  public struct MessageRef: Hashable, Sendable {
    public var partition: Int
    public var offset: Int64
    public init(partition: Int, offset: Int64) {
      self.partition = partition
      self.offset = offset
    }
  }

  /// Checks that `owner` holds the lease on the message. `settled` holds messages already
  /// acked or nacked earlier in the same batch.
  static func checkHeld(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    settled: Set<MessageRef>
  ) -> BrokerRejection? {
    if let problem = NameRules.problem(with: topic, what: "topic") ?? NameRules.problem(with: group, what: "group")
      ?? NameRules.problem(with: owner, what: "owner")
    {
      return .init(.invalidArgument, problem)
    }
    guard let topicState = state.topics[topic] else { return .init(.topicNotFound, "topic does not exist: \(topic)") }
    guard partition >= 0, partition < topicState.partitionCount else { return .init(.invalidArgument, "partition out of range") }
    let cursor = state.cursor(topic: topic, group: group, partition: partition)
    guard let delivery = cursor.inflight[offset], !settled.contains(MessageRef(partition: partition, offset: offset)) else {
      return .init(.notInFlight, "message is not in-flight (\(topic)/\(partition) offset \(offset) in group \(group))")
    }
    guard delivery.owner == owner else {
      return .init(.notOwner, "not owner (\(topic)/\(partition) offset \(offset) is leased to \(delivery.owner))")
    }
    return nil
  }

  public static func ack(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    settled: inout Set<MessageRef>
  ) -> Result<MessageAcked, BrokerRejection> {
    if let rejection = checkHeld(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, settled: settled) {
      return .failure(rejection)
    }
    settled.insert(MessageRef(partition: partition, offset: offset))
    return .success(MessageAcked(topic: topic, group: group, partition: partition, offset: offset, owner: owner))
  }

  /// Nacks a message: it becomes deliverable again with its `last_error` extended by
  /// `reason` (empty means DriftQ's default, `nack`).
  public static func nack(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    reason: String, settled: inout Set<MessageRef>
  ) -> Result<MessageNacked, BrokerRejection> {
    if let rejection = checkHeld(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, settled: settled) {
      return .failure(rejection)
    }
    guard reason.utf8.count <= NameRules.maximumReasonBytes else {
      return .failure(.init(.invalidArgument, "reason is longer than \(NameRules.maximumReasonBytes) bytes"))
    }
    settled.insert(MessageRef(partition: partition, offset: offset))
    return .success(MessageNacked(
      topic: topic, group: group, partition: partition, offset: offset, owner: owner, reason: reason.isEmpty ? "nack" : reason))
  }
}
