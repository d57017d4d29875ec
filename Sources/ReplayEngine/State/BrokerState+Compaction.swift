import WALFormat

extension BrokerState {
  /// Folds a `log_compacted` record: groups its dropped records carried come back, then each
  /// trimmed partition forgets what lies below its new start.
  mutating func applyCompaction(_ e: LogCompacted) {
    for topic in e.topics where topics[topic.name] == nil {
      topics[topic.name] = TopicState(
        name: topic.name, partitions: Array(repeating: PartitionLog(), count: topic.partitions), createdAt: topic.createdAt, limits: topic.limits)
    }
    for activity in e.groups {
      guard let topic = topics[activity.topic], topic.partitionCount == activity.partitions else { continue }
      let key = GroupKey(topic: activity.topic, group: activity.group)
      var state = groups[key] ?? newGroup(key, on: topic, at: activity.lastActivity)
      state.lastActivity = max(state.lastActivity, activity.lastActivity)
      for (partition, time) in activity.lastDeliveredAt.enumerated() {
        guard let time, state.partitions.indices.contains(partition) else { continue }
        state.partitions[partition].lastDeliveredAt = max(state.partitions[partition].lastDeliveredAt ?? time, time)
      }
      groups[key] = state
    }
    for start in e.starts { trim(topic: start.topic, partition: start.partition, to: start.offset, cumulativeBytes: start.cumulativeBytes) }
    forgetCompactedAway()
    for held in e.consumeKeys { consumeKeys[held.key] = held.state }
  }

  /// Every group settles every offset of the partition below `offset`, and the messages
  /// there are forgotten.
  private mutating func trim(topic name: String, partition: Int, to offset: Int64, cumulativeBytes: Int64) {
    guard topics[name]?.partitions.indices.contains(partition) == true else { return }
    topics[name]?.partitions[partition].trim(to: offset, cumulativeBytes: cumulativeBytes)
    for key in groups.keys where key.topic == name {
      groups[key]?.partitions[partition].settle(below: offset)
    }
  }

  /// After trims: the produce idempotency keys and DLQ entries of messages now below their
  /// partition's start go, in one pass whatever the number of partitions trimmed (consume
  /// keys stay). Nothing else lies below a start: keys and entries are only ever made for
  /// held messages.
  private mutating func forgetCompactedAway() {
    let trimmed = self
    produceKeys = produceKeys.filter { !trimmed.isCompactedAway($0.value) }
    guard deadLetters.values.contains(where: { $0.contains { trimmed.isCompactedAway($0.copy) } }) else { return }
    for source in deadLetters.keys { deadLetters[source]?.removeAll { trimmed.isCompactedAway($0.copy) } }
    deadLetters = deadLetters.filter { !$0.value.isEmpty }
    deadLetterIndex = [:]
    for (source, entries) in deadLetters {
      for (index, entry) in entries.enumerated() { deadLetterIndex[entry.copy] = (source, index) }
    }
  }
}

extension PartitionCursor {
  /// Settles every offset below `offset` at once (what a compacted-away prefix means).
  mutating func settle(below offset: Int64) {
    guard committed < offset - 1 || inflight.keys.contains(where: { $0 < offset }) || retries.keys.contains(where: { $0 < offset }) else { return }
    committed = max(committed, offset - 1)
    nextNew = max(nextNew, offset)
    ackedAhead = ackedAhead.filter { $0 > committed }
    inflight = inflight.filter { $0.key >= offset }
    retries = retries.filter { $0.key >= offset }
    while ackedAhead.remove(committed + 1) != nil { committed += 1 }
  }
}
