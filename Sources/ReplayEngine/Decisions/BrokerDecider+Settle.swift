import WALFormat

extension BrokerDecider {
  /// One message of one group, for acks and nacks decided within a batch.
  public struct MessageRef: Hashable, Sendable {
    public var partition: Int
    public var offset: Int64
    public init(partition: Int, offset: Int64) {
      self.partition = partition
      self.offset = offset
    }
  }

  /// The lease `owner` holds on the message, or why it holds none. `settled` holds messages
  /// already acked or nacked earlier in the same batch.
  static func heldLease(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    settled: Set<MessageRef>
  ) -> Result<Delivery, BrokerRejection> {
    if let problem = NameRules.problem(with: topic, what: "topic") ?? NameRules.problem(with: group, what: "group")
      ?? NameRules.problem(with: owner, what: "owner")
    {
      return .failure(.init(.invalidArgument, problem))
    }
    guard let topicState = state.topics[topic] else { return .failure(.init(.topicNotFound, "topic does not exist: \(topic)")) }
    guard partition >= 0, partition < topicState.partitionCount else { return .failure(.init(.invalidArgument, "partition out of range")) }
    let cursor = state.cursor(topic: topic, group: group, partition: partition)
    guard let delivery = cursor.inflight[offset], !settled.contains(MessageRef(partition: partition, offset: offset)) else {
      return .failure(.init(.notInFlight, "message is not in-flight (\(topic)/\(partition) offset \(offset) in group \(group))"))
    }
    guard delivery.owner == owner else {
      return .failure(.init(.notOwner, "not owner (\(topic)/\(partition) offset \(offset) is leased to \(delivery.owner))"))
    }
    return .success(delivery)
  }

  public static func ack(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    settled: inout Set<MessageRef>
  ) -> Result<MessageAcked, BrokerRejection> {
    heldLease(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, settled: settled).map { _ in
      settled.insert(MessageRef(partition: partition, offset: offset))
      return MessageAcked(topic: topic, group: group, partition: partition, offset: offset, owner: owner)
    }
  }

  /// Nacks a message: it becomes deliverable again (after its backoff) with its `last_error`
  /// extended by `reason` (empty means DriftQ's default, `nack`). When this was its last
  /// allowed attempt, the same write moves it to the DLQ.
  public static func nack(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    reason: String, now: WALTimestamp, settled: inout Set<MessageRef>, pending: inout Pending, loader: MessageLoader
  ) throws -> [BrokerEvent] {
    let delivery = try heldLease(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, settled: settled).get()
    guard reason.utf8.count <= NameRules.maximumReasonBytes else {
      throw BrokerRejection(.invalidArgument, "reason is longer than \(NameRules.maximumReasonBytes) bytes")
    }
    settled.insert(MessageRef(partition: partition, offset: offset))
    let text = reason.isEmpty ? "nack" : reason
    var events: [BrokerEvent] = [.messageNacked(MessageNacked(topic: topic, group: group, partition: partition, offset: offset, owner: owner, reason: text))]
    if let stored = state.topics[topic]?.partitions[safe: partition]?[safe: offset],
      let policy = stored.retryPolicy, policy.maxAttempts > 0, delivery.attempt >= policy.maxAttempts
    {
      let chain = delivery.lastError.isEmpty ? text : delivery.lastError + " | " + text
      events.append(.messageDeadLettered(try deadLetter(
        stored, MessageOrigin(topic: topic, partition: partition, offset: offset), group: group,
        attempts: delivery.attempt, lastError: chain, reason: "max_attempts_reached", now: now, state: state,
        pending: &pending, loader: loader)))
    }
    return events
  }
}
