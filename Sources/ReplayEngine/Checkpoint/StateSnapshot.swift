import WALFormat

/// Where a partition's checkpoint rows are, and what checks them.
public struct TableReference: Sendable, Equatable {
  public var fileName: String
  public var firstOffset: Int64
  public var count: Int
  public var checksums: [UInt32]
  var extras: [Int64: MessageExtras]
  /// The partition it belongs to.
  var key: PartitionKey
}

/// One partition of one topic.
public struct PartitionKey: Hashable, Sendable {
  public var topic: String
  public var partition: Int
}

/// The folded broker and run state as bytes, and back. Messages are not in it: each
/// partition names its `TableReference`. Runs are kept as their events (a run folds from
/// its own events alone, and runs are few), so a loaded run is exactly a folded one.
enum StateSnapshot {
  static func encode(broker: BrokerState, runs: RunsState, tables: [PartitionKey: TableReference]) -> [UInt8] {
    var w = SnapshotWriter()
    w.uint(broker.lastLSN)
    w.optional(broker.lastTime) { $0.time($1) }
    w.count(broker.unknownRecords)
    w.count(broker.topics.count)
    for name in broker.topicNames {
      guard let topic = broker.topics[name] else { continue }
      w.string(name)
      w.time(topic.createdAt)
      w.int(topic.limits.maxBufferedMessages)
      w.int(topic.limits.maxBufferedBytes)
      w.count(topic.partitions.count)
      for (index, partition) in topic.partitions.enumerated() {
        w.int(partition.startOffset)
        w.int(partition.startCumulativeBytes)
        w.optional(tables[PartitionKey(topic: name, partition: index)]) { encodeTable($1, &$0) }
      }
    }
    w.count(broker.groups.count)
    for key in broker.groups.keys.sorted() {
      guard let group = broker.groups[key] else { continue }
      w.string(key.topic)
      w.string(key.group)
      w.time(group.lastActivity)
      w.count(group.partitions.count)
      for cursor in group.partitions { encodeCursor(cursor, &w) }
    }
    w.count(broker.produceKeys.count)
    for (key, origin) in broker.produceKeys {
      encodeTag(key.tag, &w)
      w.string(key.topic)
      encodeOrigin(origin, &w)
    }
    w.count(broker.consumeKeys.count)
    for (key, state) in broker.consumeKeys {
      encodeTag(key.tag, &w)
      w.string(key.topic)
      w.string(key.group)
      w.string(state.status.rawValue)
      encodeOrigin(state.holder, &w)
      w.string(state.owner)
      w.time(state.leaseDeadline)
    }
    w.count(broker.deadLetters.count)
    for (source, entries) in broker.deadLetters {
      w.string(source)
      w.count(entries.count)
      for entry in entries { encodeDeadLetter(entry, &w) }
    }
    w.optional(runs.activeIndexVersion) { $0.string($1) }
    w.count(runs.promotedVersions.count)
    for version in runs.promotedVersions { w.string(version) }
    w.count(runs.promotedRuns.count)
    for (runID, version) in runs.promotedRuns.sorted(by: { $0.key < $1.key }) {
      w.string(runID)
      w.string(version)
    }
    let kept = runs.order.compactMap { runs.runs[$0] }
    w.count(kept.count)
    for run in kept {
      w.count(run.events.count)
      for record in run.events {
        w.time(record.at)
        w.data(record.event.encoded())
      }
    }
    return w.bytes.bytes
  }

  /// Decodes a snapshot (the rest of `r`); `openTable` maps a partition's rows.
  static func decode(_ r: inout SnapshotReader, openTable: (TableReference) throws -> MessageTable) throws -> (BrokerState, RunsState) {
    var broker = BrokerState()
    broker.lastLSN = try r.uint()
    broker.lastTime = try r.optional { r throws(ByteReader.Failure) in try r.time() }
    broker.unknownRecords = try r.count()
    for _ in 0..<(try r.count()) {
      let name = try r.string()
      let createdAt = try r.time()
      let limits = ProducerLimits(maxBufferedMessages: try r.int64(), maxBufferedBytes: try r.int64())
      var partitions: [PartitionLog] = []
      for _ in 0..<(try r.count()) {
        let start = try r.int64()
        let startBytes = try r.int64()
        let key = PartitionKey(topic: name, partition: partitions.count)
        let table = try r.optional { r throws(ByteReader.Failure) in try decodeTable(&r, key) }.map(openTable)
        if let table, table.firstOffset > start || table.firstOffset + Int64(table.count) < start {
          throw CheckpointError("\(name)/\(key.partition): rows \(table.firstOffset)..<\(table.firstOffset + Int64(table.count)) do not cover the start \(start)")
        }
        partitions.append(PartitionLog(startOffset: start, startCumulativeBytes: startBytes, table: table))
      }
      broker.topics[name] = TopicState(name: name, partitions: partitions, createdAt: createdAt, limits: limits)
    }
    for _ in 0..<(try r.count()) {
      let key = GroupKey(topic: try r.string(), group: try r.string())
      let lastActivity = try r.time()
      var cursors: [PartitionCursor] = []
      for _ in 0..<(try r.count()) { cursors.append(try decodeCursor(&r)) }
      broker.groups[key] = GroupState(key: key, partitions: cursors, lastActivity: lastActivity)
    }
    for _ in 0..<(try r.count()) {
      let key = ProduceKey(tag: try decodeTag(&r), topic: try r.string())
      broker.produceKeys[key] = try decodeOrigin(&r)
    }
    for _ in 0..<(try r.count()) {
      let key = ConsumeKey(tag: try decodeTag(&r), topic: try r.string(), group: try r.string())
      let statusText = try r.string()
      guard let status = IdempotencyStatus(rawValue: statusText) else { throw CheckpointError("unknown idempotency status \(statusText)") }
      broker.consumeKeys[key] = ConsumeKeyState(status: status, holder: try decodeOrigin(&r), owner: try r.string(), leaseDeadline: try r.time())
    }
    for _ in 0..<(try r.count()) {
      let source = try r.string()
      var entries: [DeadLetterEntry] = []
      for _ in 0..<(try r.count()) { entries.append(try decodeDeadLetter(&r)) }
      broker.deadLetters[source] = entries
      for (index, entry) in entries.enumerated() { broker.deadLetterIndex[entry.copy] = (source, index) }
    }
    var runs = RunsState()
    runs.activeIndexVersion = try r.optional { r throws(ByteReader.Failure) in try r.string() }
    for _ in 0..<(try r.count()) { runs.promotedVersions.append(try r.string()) }
    for _ in 0..<(try r.count()) { runs.promotedRuns[try r.string()] = try r.string() }
    for _ in 0..<(try r.count()) {
      for _ in 0..<(try r.count()) {
        let at = try r.time()
        try runs.apply(try RunEvent(decoding: try r.data()), at: at)
      }
    }
    guard r.isAtEnd else { throw CheckpointError("bytes after the state") }
    return (broker, runs)
  }

  // MARK: - Parts

  private static func encodeTable(_ table: TableReference, _ w: inout SnapshotWriter) {
    w.string(table.fileName)
    w.int(table.firstOffset)
    w.count(table.count)
    w.count(table.checksums.count)
    for checksum in table.checksums { w.uint(UInt64(checksum)) }
    w.count(table.extras.count)
    for (offset, extras) in table.extras.sorted(by: { $0.key < $1.key }) {
      w.int(offset)
      w.optional(extras.retryPolicy) { encodeRetryPolicy($1, &$0) }
      w.optional(extras.deadline) { $0.time($1) }
      w.optional(extras.idempotency) { encodeTag($1, &$0) }
    }
  }

  private static func decodeTable(_ r: inout SnapshotReader, _ key: PartitionKey) throws(ByteReader.Failure) -> TableReference {
    let fileName = try r.string()
    let firstOffset = try r.int64()
    let count = try r.size()
    var checksums: [UInt32] = []
    for _ in 0..<(try r.count()) { checksums.append(UInt32(truncatingIfNeeded: try r.uint())) }
    var extras: [Int64: MessageExtras] = [:]
    for _ in 0..<(try r.count()) {
      let offset = try r.int64()
      extras[offset] = MessageExtras(
        retryPolicy: try r.optional { r throws(ByteReader.Failure) in try decodeRetryPolicy(&r) },
        deadline: try r.optional { r throws(ByteReader.Failure) in try r.time() },
        idempotency: try r.optional { r throws(ByteReader.Failure) in try decodeTag(&r) })
    }
    return TableReference(fileName: fileName, firstOffset: firstOffset, count: count, checksums: checksums, extras: extras, key: key)
  }

  private static func encodeCursor(_ cursor: PartitionCursor, _ w: inout SnapshotWriter) {
    w.int(cursor.committed)
    w.int(cursor.nextNew)
    w.optional(cursor.lastDeliveredAt) { $0.time($1) }
    w.count(cursor.ackedAhead.count)
    for offset in cursor.ackedAhead.sorted() { w.int(offset) }
    w.count(cursor.inflight.count)
    for (offset, delivery) in cursor.inflight.sorted(by: { $0.key < $1.key }) {
      w.int(offset)
      w.string(delivery.owner)
      w.int(delivery.attempt)
      w.time(delivery.leaseDeadline)
      w.time(delivery.deliveredAt)
      w.string(delivery.lastError)
    }
    w.count(cursor.retries.count)
    for (offset, retry) in cursor.retries.sorted(by: { $0.key < $1.key }) {
      w.int(offset)
      w.int(retry.attempts)
      w.string(retry.lastError)
      w.time(retry.since)
    }
  }

  private static func decodeCursor(_ r: inout SnapshotReader) throws(ByteReader.Failure) -> PartitionCursor {
    var cursor = PartitionCursor()
    cursor.committed = try r.int64()
    cursor.nextNew = try r.int64()
    cursor.lastDeliveredAt = try r.optional { r throws(ByteReader.Failure) in try r.time() }
    for _ in 0..<(try r.count()) { cursor.ackedAhead.insert(try r.int64()) }
    for _ in 0..<(try r.count()) {
      let offset = try r.int64()
      cursor.inflight[offset] = Delivery(owner: try r.string(), attempt: try r.int(), leaseDeadline: try r.time(), deliveredAt: try r.time(), lastError: try r.string())
    }
    for _ in 0..<(try r.count()) {
      let offset = try r.int64()
      cursor.retries[offset] = PendingRetry(attempts: try r.int(), lastError: try r.string(), since: try r.time())
    }
    return cursor
  }

  private static func encodeDeadLetter(_ entry: DeadLetterEntry, _ w: inout SnapshotWriter) {
    encodeOrigin(entry.copy, &w)
    let info = entry.info
    w.string(info.originalTopic)
    w.int(info.originalPartition)
    w.int(info.originalOffset)
    w.int(info.attempts)
    w.string(info.lastError)
    w.time(info.routedAt)
    w.string(info.group)
    w.string(info.reason)
    w.optional(info.originalRetryPolicy) { encodeRetryPolicy($1, &$0) }
    w.data(entry.key)
    w.optional(entry.redrivenTo) { encodeOrigin($1, &$0) }
    w.optional(entry.redrivenAt) { $0.time($1) }
    w.optional(entry.purgedAt) { $0.time($1) }
  }

  private static func decodeDeadLetter(_ r: inout SnapshotReader) throws(ByteReader.Failure) -> DeadLetterEntry {
    let copy = try decodeOrigin(&r)
    let info = DeadLetterInfo(
      originalTopic: try r.string(), originalPartition: try r.int(), originalOffset: try r.int64(), attempts: try r.int(),
      lastError: try r.string(), routedAt: try r.time(), group: try r.string(), reason: try r.string(),
      originalRetryPolicy: try r.optional { r throws(ByteReader.Failure) in try decodeRetryPolicy(&r) })
    return DeadLetterEntry(
      copy: copy, info: info, key: try r.data(),
      redrivenTo: try r.optional { r throws(ByteReader.Failure) in try decodeOrigin(&r) },
      redrivenAt: try r.optional { r throws(ByteReader.Failure) in try r.time() },
      purgedAt: try r.optional { r throws(ByteReader.Failure) in try r.time() })
  }

  private static func encodeOrigin(_ origin: MessageOrigin, _ w: inout SnapshotWriter) {
    w.string(origin.topic)
    w.int(origin.partition)
    w.int(origin.offset)
  }

  private static func decodeOrigin(_ r: inout SnapshotReader) throws(ByteReader.Failure) -> MessageOrigin {
    MessageOrigin(topic: try r.string(), partition: try r.int(), offset: try r.int64())
  }

  private static func encodeTag(_ tag: IdempotencyTag, _ w: inout SnapshotWriter) {
    w.string(tag.tenant)
    w.string(tag.key)
  }

  private static func decodeTag(_ r: inout SnapshotReader) throws(ByteReader.Failure) -> IdempotencyTag {
    IdempotencyTag(tenant: try r.string(), key: try r.string())
  }

  private static func encodeRetryPolicy(_ policy: RetryPolicy, _ w: inout SnapshotWriter) {
    w.int(policy.maxAttempts)
    w.int(policy.backoffMs)
    w.int(policy.maxBackoffMs)
  }

  private static func decodeRetryPolicy(_ r: inout SnapshotReader) throws(ByteReader.Failure) -> RetryPolicy {
    RetryPolicy(maxAttempts: try r.int(), backoffMs: try r.int64(), maxBackoffMs: try r.int64())
  }
}

/// Why a checkpoint cannot be used (it is then ignored, and the log folded instead).
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
