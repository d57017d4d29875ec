import WALFormat

/// Pure decisions: a command, the current state and the time in; events (or a rejection) out.
/// The caller appends the events durably and only then folds them in. Where a decision needs
/// a message's bytes (to copy it to a DLQ), it reads them through a `MessageLoader`.
public enum BrokerDecider {
  /// Reads a stored message's key, value and envelope back from the log.
  public typealias MessageLoader = (StoredMessage) throws -> MessagePublished

  /// The identity of one partition of one topic.
  public struct TopicPartition: Hashable, Sendable {
    public var topic: String
    public var partition: Int
    public init(topic: String, partition: Int) {
      self.topic = topic
      self.partition = partition
    }
  }

  /// Messages decided within one write but not yet folded in: their offsets, bytes and
  /// idempotency keys, so one write gets consecutive offsets and sees its own duplicates.
  public struct Pending: Sendable {
    var counts: [TopicPartition: Int64] = [:]
    var bytes: [TopicPartition: Int64] = [:]
    var keys: [ProduceKey: MessageOrigin] = [:]
    public init() {}

    /// The next offset of a partition, counting messages already decided in this write.
    mutating func take(_ slot: TopicPartition, head: Int64, bytes size: Int) -> Int64 {
      let offset = head + counts[slot, default: 0]
      counts[slot, default: 0] += 1
      bytes[slot, default: 0] += Int64(size)
      return offset
    }
  }

  // MARK: - Topics

  /// Creates a topic; nil (no event) when it already exists with the same partition count.
  public static func createTopic(_ state: BrokerState, name: String, partitions: Int, limits: ProducerLimits = ProducerLimits()) -> Result<TopicCreated?, BrokerRejection> {
    if let problem = NameRules.problem(with: name, what: "name") { return .failure(.init(.invalidArgument, problem)) }
    guard (1...NameRules.maximumPartitions).contains(partitions) else {
      return .failure(.init(.invalidArgument, "partitions must be between 1 and \(NameRules.maximumPartitions)"))
    }
    if let existing = state.topics[name] {
      guard existing.partitionCount == partitions else {
        return .failure(.init(.topicExists, "topic already exists: \(name) (with \(existing.partitionCount) partitions, not \(partitions))"))
      }
      guard existing.limits == limits else {
        return .failure(.init(.topicExists, "topic already exists: \(name) (with other producer limits: \(existing.limits.maxBufferedMessages) messages, \(existing.limits.maxBufferedBytes) bytes)"))
      }
      return .success(nil)
    }
    return .success(TopicCreated(name: name, partitions: partitions, limits: limits))
  }

  // MARK: - Publish

  /// What a publish decided.
  public enum Publication: Sendable, Equatable {
    case published(MessagePublished)
    /// The idempotency key already produced this message: nothing is written.
    case duplicate(of: MessageOrigin)
  }

  /// Decides where a message goes and its offset, or finds it is a duplicate. A topic
  /// created without producer limits of its own gets `defaultLimits` (serve's, DriftQ's).
  public static func publish(
    _ state: BrokerState, topic: String, key: [UInt8], value: [UInt8], envelope: Envelope,
    now: WALTimestamp, defaultLimits: ProducerLimits = ProducerLimits(), pending: inout Pending
  ) -> Result<Publication, BrokerRejection> {
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
    var produceKey: ProduceKey?
    if !envelope.idempotencyKey.isEmpty {
      let key = ProduceKey(tag: IdempotencyTag(tenant: envelope.tenantID, key: envelope.idempotencyKey), topic: finalTopic)
      if let original = state.produceKeys[key] ?? pending.keys[key] { return .success(.duplicate(of: original)) }
      produceKey = key
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
    let own = !target.limits.isEmpty
    if let rejection = checkLimits(
      state, target, own ? target.limits : defaultLimits, named: own ? .topic : .server, slot, adding: key.count + value.count,
      now: now, pending: pending)
    {
      return .failure(rejection)
    }
    let offset = pending.take(slot, head: target.headOffset(partition), bytes: key.count + value.count)
    if let produceKey { pending.keys[produceKey] = MessageOrigin(topic: finalTopic, partition: partition, offset: offset) }
    var stored = envelope
    if stored.retryPolicy?.isEmpty == true { stored.retryPolicy = nil }
    stored.dlq = nil
    stored.redrivenFrom = nil
    return .success(.published(MessagePublished(topic: finalTopic, partition: partition, offset: offset, key: key, value: value, envelope: stored)))
  }

  /// Groups that consumed within this window count toward a topic's producer limits; older
  /// ones (abandoned groups, DLQs nobody reads) never block producers.
  public static let activeGroupWindowMs: Int64 = 3_600_000

  /// Where producer limits were set, so a refusal names the option to change.
  enum LimitSource {
    case topic, server
    var messagesOption: String { self == .topic ? "--max-buffered-msgs" : "serve --max-partition-msgs" }
    var bytesOption: String { self == .topic ? "--max-buffered-bytes" : "serve --max-partition-bytes" }
  }

  /// DriftQ's backpressure, counting only active groups: the data in a partition that the
  /// slowest active group has not consumed, against `limits`.
  static func checkLimits(
    _ state: BrokerState, _ topic: TopicState, _ limits: ProducerLimits, named source: LimitSource, _ slot: TopicPartition,
    adding size: Int, now: WALTimestamp, pending: Pending
  ) -> BrokerRejection? {
    guard !limits.isEmpty else { return nil }
    let since = now.adding(milliseconds: -activeGroupWindowMs)
    let floors = state.groups.values.filter { $0.key.topic == topic.name && $0.lastActivity >= since }
      .compactMap { $0.partitions[safe: slot.partition].map { $0.committed + 1 } }
    guard let floor = floors.min() else { return nil }
    let head = topic.headOffset(slot.partition)
    let count = head - floor + pending.counts[slot, default: 0]
    if limits.maxBufferedMessages > 0 && count >= limits.maxBufferedMessages {
      let reason = "partition_buffer_full"
      return .init(.resourceExhausted, "producer overload: \(reason) (\(topic.name)/\(slot.partition) holds \(count) unconsumed messages; \(source.messagesOption) is \(limits.maxBufferedMessages))", reason: reason)
    }
    if limits.maxBufferedBytes > 0 {
      let messages = topic.partitions[slot.partition]
      let consumed = messages.cumulativeBytes(through: floor - 1)
      let bytes = messages.cumulativeBytes(through: head - 1) - consumed + pending.bytes[slot, default: 0] + Int64(size)
      if bytes > limits.maxBufferedBytes {
        let reason = "partition_buffer_bytes_full"
        return .init(.resourceExhausted, "producer overload: \(reason) (\(topic.name)/\(slot.partition) would hold \(bytes) unconsumed bytes; \(source.bytesOption) is \(limits.maxBufferedBytes))", reason: reason)
      }
    }
    return nil
  }
}
