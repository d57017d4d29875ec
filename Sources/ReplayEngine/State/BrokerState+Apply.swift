import WALFormat

extension BrokerState {
  /// Folds one record into the state. Unknown kinds are counted and skipped.
  /// - Throws: `ReplayError` when the payload does not decode or contradicts the state.
  public mutating func apply(_ record: WALRecord, at position: RecordPosition) throws(ReplayError) {
    try folding(record) { state throws(ReplayError) in
      if record.kind == .messagePublished {
        let summary = try EventCodec.decodeSummary(ofPublication: record.payload)
        try state.appendMessage(summary, lsn: record.lsn, time: record.timestamp, position: position, registerKey: true)
        state.registerImportedDeadLetter(summary)
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
    } catch { throw error.at(record.lsn) }
    lastLSN = record.lsn
    lastTime = record.timestamp
  }

  mutating func apply(_ event: BrokerEvent, lsn: UInt64, time: WALTimestamp, position: RecordPosition) throws(ReplayError) {
    switch event {
    case .topicCreated(let e):
      try createTopic(e.name, partitions: e.partitions, limits: e.limits, time: time)

    case .messagePublished(let e):
      var published = summary(of: e)
      try appendMessage(published, lsn: lsn, time: time, position: position, registerKey: true)
      if e.envelope.dlq != nil {
        published.deadLetterKey = e.key
        registerImportedDeadLetter(published)
      }

    case .messageDelivered(let e):
      let tag = try message(e.topic, e.partition, e.offset).idempotency
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
        cursor.lastDeliveredAt = max(cursor.lastDeliveredAt ?? time, time)
      }
      if let tag {
        consumeKeys[ConsumeKey(tag: tag, topic: e.topic, group: e.group)] = ConsumeKeyState(
          status: .pending, holder: MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset),
          owner: e.owner, leaseDeadline: e.leaseDeadline)
      }

    case .messageAcked(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        guard let delivery = cursor.inflight[e.offset], delivery.owner == e.owner else {
          throw ReplayError(.inconsistent, "ack of offset \(e.offset) not held by \(e.owner)")
        }
        cursor.settle(e.offset)
      }
      try setConsumeKey(.committed, topic: e.topic, group: e.group, partition: e.partition, offset: e.offset)

    case .messageNacked(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        guard let delivery = cursor.inflight.removeValue(forKey: e.offset), delivery.owner == e.owner else {
          throw ReplayError(.inconsistent, "nack of offset \(e.offset) not held by \(e.owner)")
        }
        let merged = delivery.lastError.isEmpty ? e.reason : delivery.lastError + " | " + e.reason
        cursor.retries[e.offset] = PendingRetry(attempts: delivery.attempt, lastError: merged, since: time)
      }
      try setConsumeKey(.failed, topic: e.topic, group: e.group, partition: e.partition, offset: e.offset)

    case .messageSkipped(let e):
      try updateCursor(topic: e.topic, group: e.group, partition: e.partition, offset: e.offset, time: time) { cursor throws(ReplayError) in
        guard !cursor.isAcked(e.offset) else { throw ReplayError(.inconsistent, "skip of offset \(e.offset), already settled") }
        if e.offset == cursor.nextNew { cursor.nextNew += 1 }
        cursor.settle(e.offset)
      }

    case .messageDeadLettered(let e):
      // Compaction keeps this record while either half is still held; the half below its
      // partition's start was settled and dropped, so it is not applied again.
      let source = e.source
      if !isCompactedAway(source) {
        try updateCursor(topic: source.topic, group: e.group, partition: source.partition, offset: source.offset, time: time) { cursor throws(ReplayError) in
          guard !cursor.isAcked(source.offset) else { throw ReplayError(.inconsistent, "dead-letter of offset \(source.offset), already settled") }
          if source.offset == cursor.nextNew { cursor.nextNew += 1 }
          cursor.settle(source.offset)
        }
        try setConsumeKey(.failed, topic: source.topic, group: e.group, partition: source.partition, offset: source.offset)
      }
      if topics[e.copy.topic] == nil {
        try createTopic(e.copy.topic, partitions: e.dlqPartitions, limits: ProducerLimits(), time: time)
      }
      let copy = MessageOrigin(topic: e.copy.topic, partition: e.copy.partition, offset: e.copy.offset)
      guard !isCompactedAway(copy) else { break }
      try appendMessage(summary(of: e.copy), lsn: lsn, time: time, position: position, registerKey: false)
      guard let info = e.copy.envelope.dlq else { throw ReplayError(.inconsistent, "dead-letter copy without DLQ metadata") }
      deadLetters[source.topic, default: []].append(DeadLetterEntry(copy: copy, info: info, key: e.copy.key))
      deadLetterIndex[copy] = (source.topic, deadLetters[source.topic, default: []].count - 1)

    case .messageRedriven(let e):
      // A redrive to another topic outlives the deletion of the DLQ it came from: its
      // source half is gone with that topic's records. The DLQ may exist again by then, made
      // anew (after a compaction, from the start of its log): a message it has not reached
      // yet was one of the deleted DLQ's, since a dead letter comes before its redrive.
      let dlqLacksIt = topics[e.from.topic].map { dlq in
        e.from.partition >= dlq.partitionCount || e.from.offset >= dlq.headOffset(e.from.partition)
      } ?? true
      let fromGone = isCompactedAway(e.from) || dlqLacksIt && topics[e.message.topic] != nil
      let from = fromGone ? nil : deadLetterIndex[e.from]
      if from == nil && !fromGone || from.map({ deadLetters[$0.source]?[safe: $0.index]?.redrivenTo != nil }) == true {
        throw ReplayError(.inconsistent, "redrive of \(e.from.topic)/\(e.from.partition)@\(e.from.offset), which is not an unredriven DLQ message")
      }
      let republished = MessageOrigin(topic: e.message.topic, partition: e.message.partition, offset: e.message.offset)
      if !isCompactedAway(republished) {
        try appendMessage(summary(of: e.message), lsn: lsn, time: time, position: position, registerKey: false)
      }
      if let (source, index) = from {
        deadLetters[source]?[index].redrivenTo = republished
        deadLetters[source]?[index].redrivenAt = time
      }

    case .logCompacted(let e):
      applyCompaction(e)

    case .topicDeleted(let e):
      guard topics[e.name] != nil else { throw ReplayError(.inconsistent, "deletion of topic \(e.name), which does not exist") }
      removeTopics(Set(e.removedTopics), source: e.name)

    case .groupDeleted(let e):
      // Compaction keeps this record while a dead-letter of the group stays (its source half
      // brings the group back), so the group may be gone already: nothing to do then.
      let key = GroupKey(topic: e.topic, group: e.group)
      groups[key] = nil
      consumeKeys = consumeKeys.filter { $0.key.topic != e.topic || $0.key.group != e.group }

    case .deadLettersPurged(let e):
      for copy in e.copies where !isCompactedAway(copy) {
        guard let (source, index) = deadLetterIndex[copy], source == e.source else {
          throw ReplayError(.inconsistent, "purge of \(copy.topic)/\(copy.partition)@\(copy.offset), which is not a DLQ message of \(e.source)")
        }
        deadLetters[source]?[index].purgedAt = time
      }

    case .groupSeeked(let e):
      guard let topic = topics[e.topic], topic.partitions.indices.contains(e.partition),
        e.offset >= 0, e.offset <= topic.headOffset(e.partition)
      else { throw ReplayError(.inconsistent, "seek of \(e.group) to \(e.topic)/\(e.partition)@\(e.offset), out of range") }
      let key = GroupKey(topic: e.topic, group: e.group)
      var state = groups[key] ?? newGroup(key, on: topic, at: time)
      // In a compacted log, a seek below the partition's start re-read what compaction found
      // settled again by every group: it lands on the start.
      state.partitions[e.partition] = PartitionCursor(position: max(e.offset, topic.partitions[e.partition].startOffset))
      state.lastActivity = max(state.lastActivity, time)
      groups[key] = state
    }
  }

  // MARK: - Pieces

  /// Forgets `names` (a topic and its DLQ topic) with everything on them: messages, groups,
  /// idempotency keys and dead-letter entries.
  private mutating func removeTopics(_ names: Set<String>, source: String) {
    for name in names { topics[name] = nil }
    groups = groups.filter { !names.contains($0.key.topic) }
    produceKeys = produceKeys.filter { !names.contains($0.key.topic) }
    consumeKeys = consumeKeys.filter { !names.contains($0.key.topic) }
    deadLetters[source] = nil
    deadLetterIndex = deadLetterIndex.filter { !names.contains($0.key.topic) && $0.value.source != source }
  }

  /// Whether `origin` lies below its partition's start: compaction dropped it.
  func isCompactedAway(_ origin: MessageOrigin) -> Bool {
    guard let partition = topics[origin.topic]?.partitions[safe: origin.partition] else { return false }
    return origin.offset < partition.startOffset
  }

  private mutating func createTopic(_ name: String, partitions: Int, limits: ProducerLimits, time: WALTimestamp) throws(ReplayError) {
    if let existing = topics[name] {
      guard existing.partitionCount == partitions else {
        throw ReplayError(.inconsistent, "topic \(name) created again with \(partitions) partitions (has \(existing.partitionCount))")
      }
      return
    }
    guard (1...NameRules.maximumPartitions).contains(partitions) else {
      throw ReplayError(.inconsistent, "topic \(name) has \(partitions) partitions")
    }
    topics[name] = TopicState(name: name, partitions: Array(repeating: PartitionLog(), count: partitions), createdAt: time, limits: limits)
  }

  /// A published message that carries DLQ metadata is a DLQ copy that `wal import` brought
  /// from DriftQ-Core (our own publishes never carry it: the decider strips it): it is listed
  /// and redriven like one our consumers dead-lettered.
  mutating func registerImportedDeadLetter(_ e: EventCodec.PublicationSummary) {
    guard let info = e.envelope.dlq else { return }
    let copy = MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset)
    guard deadLetterIndex[copy] == nil else { return }
    deadLetters[info.originalTopic, default: []].append(DeadLetterEntry(copy: copy, info: info, key: e.deadLetterKey))
    deadLetterIndex[copy] = (info.originalTopic, deadLetters[info.originalTopic, default: []].count - 1)
  }

  private func summary(of e: MessagePublished) -> EventCodec.PublicationSummary {
    EventCodec.PublicationSummary(topic: e.topic, partition: e.partition, offset: e.offset, bytes: e.key.count + e.value.count, envelope: e.envelope)
  }

  private func message(_ topic: String, _ partition: Int, _ offset: Int64) throws(ReplayError) -> StoredMessage {
    guard let message = topics[topic]?.partitions[safe: partition]?[safe: offset] else {
      throw ReplayError(.inconsistent, "event for \(topic)/\(partition)@\(offset), which does not exist")
    }
    return message
  }

  mutating func appendMessage(
    _ e: EventCodec.PublicationSummary, lsn: UInt64, time: WALTimestamp, position: RecordPosition, registerKey: Bool
  ) throws(ReplayError) {
    guard let topic = topics[e.topic] else { throw ReplayError(.inconsistent, "message for unknown topic \(e.topic)") }
    guard topic.partitions.indices.contains(e.partition) else {
      throw ReplayError(.inconsistent, "message for partition \(e.partition) of \(e.topic), which has \(topic.partitionCount)")
    }
    if let lost = lastLostRecord, e.offset > topic.headOffset(e.partition) {
      for _ in topic.headOffset(e.partition)..<e.offset {
        topics[e.topic]?.partitions[e.partition].append(.lost(at: lost, time: time))
        lostMessages += 1
      }
    }
    guard e.offset == topics[e.topic]?.headOffset(e.partition) else {
      throw ReplayError(.inconsistent, "message at offset \(e.offset) of \(e.topic)/\(e.partition), expected \(topic.headOffset(e.partition))")
    }
    let tag = e.envelope.idempotencyKey.isEmpty ? nil : IdempotencyTag(tenant: e.envelope.tenantID, key: e.envelope.idempotencyKey)
    // Mutate in place through the dictionary so the partition array is not copied.
    topics[e.topic]?.partitions[e.partition].append(StoredMessage(
      position: position, lsn: lsn, publishedAt: time, retryPolicy: e.envelope.retryPolicy,
      deadline: e.envelope.dlq == nil ? e.envelope.deadline : nil, bytes: e.bytes, idempotency: tag))
    if registerKey, let tag {
      let key = ProduceKey(tag: tag, topic: e.topic)
      if produceKeys[key] == nil { produceKeys[key] = MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset) }
    }
  }

  private mutating func setConsumeKey(_ status: IdempotencyStatus, topic: String, group: String, partition: Int, offset: Int64) throws(ReplayError) {
    guard let tag = try message(topic, partition, offset).idempotency else { return }
    let key = ConsumeKey(tag: tag, topic: topic, group: group)
    let holder = MessageOrigin(topic: topic, partition: partition, offset: offset)
    var state = consumeKeys[key] ?? ConsumeKeyState(status: status, holder: holder, owner: "", leaseDeadline: WALTimestamp(nanoseconds: 0))
    // A later message with the same key never undoes a commit.
    if state.status == .committed && status != .committed { return }
    state.status = status
    state.holder = holder
    consumeKeys[key] = state
  }

  private mutating func updateCursor(
    topic name: String, group: String, partition: Int, offset: Int64, time: WALTimestamp,
    _ change: (inout PartitionCursor) throws(ReplayError) -> Void
  ) throws(ReplayError) {
    guard let topic = topics[name] else { throw ReplayError(.inconsistent, "event for unknown topic \(name)") }
    guard topic.partitions.indices.contains(partition) else {
      throw ReplayError(.inconsistent, "event for partition \(partition) of \(name), which has \(topic.partitionCount)")
    }
    guard offset >= topic.partitions[partition].startOffset, offset < topic.headOffset(partition) else {
      throw ReplayError(.inconsistent, "event for offset \(offset) of \(name)/\(partition), outside \(topic.partitions[partition].startOffset)..<\(topic.headOffset(partition))")
    }
    let key = GroupKey(topic: name, group: group)
    var state = groups.removeValue(forKey: key) ?? newGroup(key, on: topic, at: time)
    do {
      try change(&state.partitions[partition])
    } catch {
      groups[key] = state
      throw error
    }
    state.lastActivity = max(state.lastActivity, time)
    groups[key] = state
  }
}

extension PartitionCursor {
  /// A cursor positioned so that `position` is the next offset to deliver.
  init(position: Int64) {
    self.init()
    committed = position - 1
    nextNew = position
  }

  /// Marks `offset` done for the group (acked, skipped or dead-lettered): no longer leased or
  /// waiting, and the committed offset advances over every contiguous settled offset.
  mutating func settle(_ offset: Int64) {
    inflight[offset] = nil
    retries[offset] = nil
    if offset == committed + 1 {
      committed = offset
      while ackedAhead.remove(committed + 1) != nil { committed += 1 }
    } else if offset > committed {
      ackedAhead.insert(offset)
    }
  }
}
