import ReplayEngine
import WALFormat

/// The native events that rebuild a DriftQ-Core broker's state (`CoreBrokerState`), and the
/// check that the imported directory folds to the same thing.
///
/// DriftQ-Core v1 numbers offsets per topic; ours are per partition, so messages are
/// renumbered in order within their partition and offsets mapped with them. A group's
/// committed offset settles everything at or below it in that partition: as an ack when
/// DriftQ-Core recorded the message's idempotency key COMMITTED for the group (so the key
/// stays committed), else as a skip. A retry state becomes a delivery and a nack carrying its
/// `last_error`, when its message is the next one the group has not settled.
struct CoreImport {
  static let owner = "driftq-core-import"

  struct Summary {
    var topics = 0
    var messages = 0
    var settled = 0
    var offsets = 0
    var retryStates = 0
    /// Retry states whose message is not next after the settled ones (left for redelivery).
    var retryStatesLeft = 0
    var consumeKeys = 0
  }

  let state: CoreBrokerState
  /// (topic, DriftQ-Core offset) to our partition and offset.
  private(set) var places: [String: [Int64: (partition: Int, offset: Int64)]] = [:]

  init(_ state: CoreBrokerState) {
    self.state = state
    for (topic, partitions) in state.topics {
      for (partition, messages) in partitions.enumerated() {
        for (index, message) in messages.enumerated() { places[topic, default: [:]][message.offset] = (partition, Int64(index)) }
      }
    }
  }

  func events(now: WALTimestamp) -> (events: [BrokerEvent], summary: Summary) {
    var events: [BrokerEvent] = []
    var summary = Summary()
    for topic in state.topicOrder {
      events.append(.topicCreated(TopicCreated(name: topic, partitions: max(1, state.topics[topic]?.count ?? 1))))
      summary.topics += 1
    }
    for message in state.published {
      guard let place = places[message.topic]?[message.offset] else { continue }
      var copy = message
      copy.partition = place.partition
      copy.offset = place.offset
      copy.envelope = envelope(of: message)
      events.append(.messagePublished(copy))
      summary.messages += 1
    }
    // Settle each group's committed prefix, partition by partition.
    var settledUpTo: [CoreBrokerState.Position: Int64] = [:]
    for (key, lastAcked) in state.committed.sorted(by: { $0.key < $1.key }) {
      let messages = state.topics[key.topic]?[safe: key.partition] ?? []
      var next: Int64 = 0
      for message in messages where message.offset <= lastAcked {
        let offset = next
        next += 1
        let consumeKey = CoreBrokerState.ConsumeKey(tenant: message.envelope.tenantID, topic: key.topic, group: key.group, key: message.envelope.idempotencyKey)
        if !message.envelope.idempotencyKey.isEmpty, state.consumeKeys[consumeKey] == .committed {
          events.append(.messageDelivered(MessageDelivered(topic: key.topic, group: key.group, partition: key.partition, offset: offset, owner: Self.owner, attempt: 1, leaseDeadline: now)))
          events.append(.messageAcked(MessageAcked(topic: key.topic, group: key.group, partition: key.partition, offset: offset, owner: Self.owner)))
          summary.consumeKeys += 1
        } else {
          events.append(.messageSkipped(MessageSkipped(topic: key.topic, group: key.group, partition: key.partition, offset: offset, reason: "settled on DriftQ-Core")))
        }
        summary.settled += 1
      }
      settledUpTo[key] = next
      summary.offsets += 1
    }
    for (position, retry) in state.retries.sorted(by: { $0.key < $1.key }) {
      let key = CoreBrokerState.Position(topic: position.topic, group: position.group, partition: position.partition, offset: 0)
      guard let place = places[position.topic]?[position.offset], place.partition == position.partition, place.offset == settledUpTo[key] ?? 0 else {
        summary.retryStatesLeft += 1
        continue
      }
      settledUpTo[key] = place.offset + 1
      events.append(.messageDelivered(MessageDelivered(topic: position.topic, group: position.group, partition: place.partition, offset: place.offset, owner: Self.owner, attempt: 1, leaseDeadline: retry.at ?? now)))
      events.append(.messageNacked(MessageNacked(topic: position.topic, group: position.group, partition: place.partition, offset: place.offset, owner: Self.owner, reason: retry.lastError)))
      summary.retryStates += 1
    }
    return (events, summary)
  }

  /// A message's envelope as imported. DriftQ-Core's DLQ copy names its source by its
  /// per-topic offset, which is renumbered per partition like every other offset, and it
  /// records no reason: its only one is `max_attempts_reached`.
  func envelope(of message: MessagePublished) -> Envelope {
    var envelope = message.envelope
    guard var dlq = envelope.dlq else { return envelope }
    if let source = places[dlq.originalTopic]?[dlq.originalOffset] {
      dlq.originalPartition = source.partition
      dlq.originalOffset = source.offset
    }
    if dlq.reason.isEmpty { dlq.reason = "max_attempts_reached" }
    envelope.dlq = dlq
    return envelope
  }

  /// Differences between DriftQ-Core's folded state and the imported directory's; empty when
  /// they hold the same topics, messages (keys, values, envelopes) and group positions.
  /// Reads every imported message back; `progress` hears each partition's message count once
  /// it is compared.
  func differences(
    from imported: BrokerState, load: (RecordPosition) throws -> MessagePublished, progress: ((Int) -> Void)? = nil
  ) throws -> [String] {
    var found: [String] = []
    for topic in state.topicOrder {
      let partitions = state.topics[topic] ?? []
      guard let native = imported.topics[topic] else { found.append("topic \(topic) missing"); continue }
      if native.partitionCount != max(1, partitions.count) { found.append("topic \(topic): \(native.partitionCount) partitions, expected \(partitions.count)") }
      for (partition, messages) in partitions.enumerated() {
        let stored = native.partitions[safe: partition] ?? PartitionLog()
        guard stored.count == messages.count else {
          found.append("\(topic)/\(partition): \(stored.count) messages, expected \(messages.count)")
          continue
        }
        for (index, message) in messages.enumerated() {
          let copy = try load(stored[stored.startOffset + Int64(index)].position)
          if copy.key != message.key || copy.value != message.value || copy.envelope != envelope(of: message) {
            found.append("\(topic)/\(partition)@\(index) differs from DriftQ-Core offset \(message.offset)")
          }
        }
        progress?(messages.count)
      }
    }
    for (key, lastAcked) in state.committed {
      let expected = Int64((state.topics[key.topic]?[safe: key.partition] ?? []).filter { $0.offset <= lastAcked }.count) - 1
      let cursor = imported.cursor(topic: key.topic, group: key.group, partition: key.partition)
      if cursor.committed != expected { found.append("group \(key.group) on \(key.topic)/\(key.partition): committed \(cursor.committed), expected \(expected)") }
    }
    return found
  }
}
