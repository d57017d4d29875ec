import WALFormat

extension BrokerDecider {
  /// The DLQ topic of a topic.
  public static func deadLetterTopic(of topic: String) -> String { "dlq." + topic }

  /// The topic whose DLQ `topic` is, by its name (`dlq.orders` -> `orders`), or nil.
  static func sourceTopic(ofDeadLetterTopic topic: String) -> String? {
    topic.hasPrefix("dlq.") ? String(topic.dropFirst(4)) : nil
  }

  /// Refuses a DLQ topic given where the DLQ commands (redrive, purge) name the original
  /// topic; a `dlq.` topic that has dead letters of its own is an original topic too.
  static func requireOriginalTopic(_ state: BrokerState, _ topic: String) throws(BrokerRejection) {
    if let source = sourceTopic(ofDeadLetterTopic: topic), (state.deadLetters[topic] ?? []).isEmpty {
      throw BrokerRejection(.invalidArgument, "--topic names the original topic, not its DLQ: use --topic \(source)")
    }
  }

  /// Builds the one record that moves a message to `dlq.<topic>`: DriftQ's copy (key, value,
  /// envelope minus retry_policy, target_topic and partition_override) with DLQ metadata.
  static func deadLetter(
    _ stored: StoredMessage, _ origin: MessageOrigin, group: String, attempts: Int, lastError: String,
    reason: String, now: WALTimestamp, state: BrokerState, pending: inout Pending, loader: MessageLoader
  ) throws -> MessageDeadLettered {
    let original = try loader(stored)
    let dlqTopic = deadLetterTopic(of: origin.topic)
    let partitions = state.topics[dlqTopic]?.partitionCount ?? state.topics[origin.topic]?.partitionCount ?? 1
    let partition = Partitioner.partition(forKey: original.key, partitions: partitions)
    let head = state.topics[dlqTopic]?.headOffset(partition) ?? 0
    let offset = pending.take(TopicPartition(topic: dlqTopic, partition: partition), head: head, bytes: original.key.count + original.value.count)
    var envelope = original.envelope
    envelope.retryPolicy = nil
    envelope.targetTopic = ""
    envelope.partitionOverride = nil
    envelope.redrivenFrom = nil
    envelope.dlq = DeadLetterInfo(
      originalTopic: origin.topic, originalPartition: origin.partition, originalOffset: origin.offset,
      attempts: attempts, lastError: lastError, routedAt: now, group: group, reason: reason,
      originalRetryPolicy: original.envelope.retryPolicy)
    let copy = MessagePublished(topic: dlqTopic, partition: partition, offset: offset, key: original.key, value: original.value, envelope: envelope)
    return MessageDeadLettered(group: group, source: origin, copy: copy, dlqPartitions: partitions)
  }

  /// Which DLQ messages a redrive or a purge takes.
  public struct DeadLetterSelection: Sendable, Equatable {
    public var maximum: Int?
    /// Only messages dead-lettered at least this long ago.
    public var olderThanMs: Int64?
    public var key: [UInt8]?
    public init(maximum: Int? = nil, olderThanMs: Int64? = nil, key: [UInt8]? = nil) {
      self.maximum = maximum
      self.olderThanMs = olderThanMs
      self.key = key
    }

    func matches(_ entry: DeadLetterEntry, now: WALTimestamp) -> Bool {
      if let olderThanMs, entry.info.routedAt > now.adding(milliseconds: -olderThanMs) { return false }
      if let key, entry.key != key { return false }
      return true
    }
  }

  /// The DLQ messages of `topic` a redrive would take now, oldest first, and how many that
  /// match were redriven before.
  public static func redriveCandidates(_ state: BrokerState, topic: String, selection: DeadLetterSelection, now: WALTimestamp) -> (due: [DeadLetterEntry], alreadyRedriven: Int) {
    let matching = (state.deadLetters[topic] ?? []).filter { $0.purgedAt == nil && selection.matches($0, now: now) }
    var due = matching.filter { $0.redrivenTo == nil }
    if let maximum = selection.maximum { due = Array(due.prefix(maximum)) }
    return (due, matching.count { $0.redrivenTo != nil })
  }

  /// Republishes DLQ messages to their original topic (or `target`), each with fresh attempts,
  /// its original retry policy back, no deadline, and `redriven_from` set. Entries already redriven in
  /// `state` are left out, so deciding again after a crash never sends one twice.
  public static func redrive(
    _ state: BrokerState, entries: [DeadLetterEntry], to target: String?, now: WALTimestamp, loader: MessageLoader
  ) throws -> [MessageRedriven] {
    var pending = Pending()
    var out: [MessageRedriven] = []
    for entry in entries {
      guard let index = state.deadLetterIndex[entry.copy], let current = state.deadLetters[index.source]?[safe: index.index],
        current.redrivenTo == nil,
        let stored = state.topics[entry.copy.topic]?.partitions[safe: entry.copy.partition]?[safe: entry.copy.offset]
      else { continue }
      let copy = try loader(stored)
      let destination = target ?? entry.info.originalTopic
      guard let topic = state.topics[destination] else {
        throw BrokerRejection(.topicNotFound, "topic does not exist (create it first): \(destination)")
      }
      let partition = destination == entry.info.originalTopic && entry.info.originalPartition < topic.partitionCount
        ? entry.info.originalPartition : Partitioner.partition(forKey: copy.key, partitions: topic.partitionCount)
      let offset = pending.take(TopicPartition(topic: destination, partition: partition), head: topic.headOffset(partition), bytes: copy.key.count + copy.value.count)
      var envelope = copy.envelope
      envelope.dlq = nil
      // A redrive is a fresh start: a deadline already missed would send it straight back.
      envelope.deadline = nil
      envelope.retryPolicy = entry.info.originalRetryPolicy
      envelope.redrivenFrom = entry.copy
      out.append(MessageRedriven(
        from: entry.copy,
        message: MessagePublished(topic: destination, partition: partition, offset: offset, key: copy.key, value: copy.value, envelope: envelope)))
    }
    return out
  }
}
