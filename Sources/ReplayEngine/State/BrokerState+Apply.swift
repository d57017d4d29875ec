import WALFormat

extension BrokerState {
  /// Folds one record into the state. Unknown kinds are counted and skipped.
  /// - Throws: `ReplayError` when the payload does not decode or contradicts the state.
  public mutating func apply(_ record: WALRecord, at position: RecordPosition) throws(ReplayError) {
    try folding(record) { state throws(ReplayError) in
      if record.kind == .messagePublished {
        let summary = try EventCodec.decodeSummary(ofPublication: record.payload)
        try state.appendMessage(summary, lsn: record.lsn, time: record.timestamp, position: position)
      } else if let event = try EventCodec.decode(kind: record.kind, payload: record.payload) {
        try state.apply(event, lsn: record.lsn, time: record.timestamp, position: position)
      } else {
        state.unknownRecords += 1
      }
    }
  }

  /// Folds an event the caller already holds decoded (it just wrote it as `record`), saving
  /// the decode that `apply(_:at:)` does.
  public mutating func apply(_ event: BrokerEvent, writtenAs record: WALRecord, at position: RecordPosition) throws(ReplayError) {
    try folding(record) { state throws(ReplayError) in
      try state.apply(event, lsn: record.lsn, time: record.timestamp, position: position)
    }
  }

  /// Runs one fold step for `record`: errors gain its LSN, and success advances `lastLSN`.
  private mutating func folding(_ record: WALRecord, _ step: (inout BrokerState) throws(ReplayError) -> Void) throws(ReplayError) {
    do {
      try step(&self)
    } catch {
      var located = error
      located.lsn = record.lsn
      throw located
    }
    lastLSN = record.lsn
    lastTime = record.timestamp
  }

  mutating func apply(_ event: BrokerEvent, lsn: UInt64, time: WALTimestamp, position: RecordPosition) throws(ReplayError) {
    switch event {
    case .topicCreated(let e):
      if let existing = topics[e.name] {
        guard existing.partitionCount == e.partitions else {
          throw ReplayError(.inconsistent, "topic \(e.name) created again with \(e.partitions) partitions (has \(existing.partitionCount))")
        }
        return
      }
      guard (1...NameRules.maximumPartitions).contains(e.partitions) else {
        throw ReplayError(.inconsistent, "topic \(e.name) has \(e.partitions) partitions")
      }
      topics[e.name] = TopicState(name: e.name, partitions: Array(repeating: [], count: e.partitions), createdAt: time)

    case .messagePublished(let e):
      try appendMessage(
        EventCodec.PublicationSummary(topic: e.topic, partition: e.partition, offset: e.offset, bytes: e.key.count + e.value.count, envelope: e.envelope),
        lsn: lsn, time: time, position: position)

    case .messageDelivered(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        var lastError = ""
        if let current = cursor.inflight[e.offset] {
          // The lease expired and the message goes to a (possibly) different owner.
          lastError = current.lastError.isEmpty ? "ack_timeout" : current.lastError
        } else if let retry = cursor.retries.removeValue(forKey: e.offset) {
          lastError = retry.lastError
        } else {
          guard e.offset == cursor.nextNew else {
            throw ReplayError(.inconsistent, "first delivery of offset \(e.offset), expected \(cursor.nextNew)")
          }
          cursor.nextNew += 1
        }
        cursor.inflight[e.offset] = Delivery(
          owner: e.owner, attempt: e.attempt, leaseDeadline: e.leaseDeadline, deliveredAt: time, lastError: lastError)
        cursor.lastDeliveredAt = time
      }

    case .messageAcked(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        guard let delivery = cursor.inflight[e.offset], delivery.owner == e.owner else {
          throw ReplayError(.inconsistent, "ack of offset \(e.offset) not held by \(e.owner)")
        }
        cursor.inflight[e.offset] = nil
        if e.offset == cursor.committed + 1 {
          cursor.committed = e.offset
          while cursor.ackedAhead.remove(cursor.committed + 1) != nil { cursor.committed += 1 }
        } else if e.offset > cursor.committed {
          cursor.ackedAhead.insert(e.offset)
        }
      }

    case .messageNacked(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        guard let delivery = cursor.inflight.removeValue(forKey: e.offset), delivery.owner == e.owner else {
          throw ReplayError(.inconsistent, "nack of offset \(e.offset) not held by \(e.owner)")
        }
        let merged = delivery.lastError.isEmpty ? e.reason : delivery.lastError + " | " + e.reason
        cursor.retries[e.offset] = PendingRetry(attempts: delivery.attempt, lastError: merged, since: time)
      }
    }
  }

  private mutating func appendMessage(_ e: EventCodec.PublicationSummary, lsn: UInt64, time: WALTimestamp, position: RecordPosition) throws(ReplayError) {
    guard let topic = topics[e.topic] else { throw ReplayError(.inconsistent, "message for unknown topic \(e.topic)") }
    guard topic.partitions.indices.contains(e.partition) else {
      throw ReplayError(.inconsistent, "message for partition \(e.partition) of \(e.topic), which has \(topic.partitionCount)")
    }
    guard e.offset == topic.headOffset(e.partition) else {
      throw ReplayError(.inconsistent, "message at offset \(e.offset) of \(e.topic)/\(e.partition), expected \(topic.headOffset(e.partition))")
    }
    // Mutate in place through the dictionary so the partition array is not copied.
    topics[e.topic]?.partitions[e.partition].append(StoredMessage(
      position: position, lsn: lsn, publishedAt: time, retryPolicy: e.envelope.retryPolicy,
      deadline: e.envelope.deadline, bytes: e.bytes))
  }

  private mutating func updateCursor(
    topic name: String, group: String, partition: Int, offset: Int64, time: WALTimestamp,
    _ change: (inout PartitionCursor) throws(ReplayError) -> Void
  ) throws(ReplayError) {
    guard let topic = topics[name] else { throw ReplayError(.inconsistent, "event for unknown topic \(name)") }
    guard topic.partitions.indices.contains(partition) else {
      throw ReplayError(.inconsistent, "event for partition \(partition) of \(name), which has \(topic.partitionCount)")
    }
    guard offset >= 0, offset < topic.headOffset(partition) else {
      throw ReplayError(.inconsistent, "event for offset \(offset) of \(name)/\(partition), beyond its head")
    }
    let key = GroupKey(topic: name, group: group)
    var state = groups.removeValue(forKey: key)
      ?? GroupState(key: key, partitions: Array(repeating: PartitionCursor(), count: topic.partitionCount), lastActivity: time)
    do {
      try change(&state.partitions[partition])
    } catch {
      groups[key] = state
      throw error
    }
    state.lastActivity = time
    groups[key] = state
  }
}
