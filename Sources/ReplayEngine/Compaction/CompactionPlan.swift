import WALFormat

/// What compaction keeps of a sealed prefix of the log, decided from the state folded to the
/// prefix's end. Pure: the caller scans the records and writes those `keeps` accepts, with
/// `summary` at the LSN of the first record dropped.
///
/// A partition loses a prefix: the longest run of offsets from its start that every group
/// settled (a topic nobody consumes keeps everything), published before the retention
/// cutoff, and, for a DLQ message, redriven. Prefixes only, so offsets never move and every
/// kept record of a partition comes after what was dropped. A record after the prefix that
/// acts on an offset bounds it (a group that joined later, or seeked back, reads from there).
public struct CompactionPlan: Sendable {
  public typealias Slot = BrokerDecider.TopicPartition

  /// Where every partition that starts above 0 starts after compaction, and its groups.
  public private(set) var summary = LogCompacted()
  /// The first held offset of each trimmed partition.
  public private(set) var starts: [Slot: Int64] = [:]
  /// Messages dropped now (not counting those an earlier compaction dropped).
  public private(set) var droppedMessages = 0
  public private(set) var droppedRuns: Set<String> = []
  /// What deletions in the prefix removed: their records go.
  public let deletions: CompactionDeletions

  /// - Parameters:
  ///   - tailFloors: per partition, the lowest offset a record after the prefix acts on.
  ///   - pinnedRuns: runs an `index_pointer` record names (they stay whatever their age).
  ///   - deletions: what the prefix's lifecycle records removed.
  public init(
    broker: BrokerState, runs: RunsState, policy: CompactionPolicy, tailFloors: [Slot: Int64], pinnedRuns: Set<String>,
    deletions: CompactionDeletions = CompactionDeletions()
  ) {
    self.deletions = deletions
    droppedRuns = deletions.runs
    for name in broker.topicNames {
      guard let topic = broker.topics[name] else { continue }
      let groups = broker.groups.values.filter { $0.key.topic == name }
      var trimmed = false
      for (partition, log) in topic.partitions.enumerated() {
        let slot = Slot(topic: name, partition: partition)
        let floor = tailFloors[slot] ?? Int64.max
        var start = log.startOffset
        while start < log.endIndex, start < floor,
          Self.isDroppable(log[start], at: MessageOrigin(topic: name, partition: partition, offset: start), broker, groups, policy)
        {
          start += 1
          // Compaction's fold maps its rows: keep only the block being read resident.
          if start % Int64(MessageTable.blockRows) == 0 { log.releasePages(below: start) }
        }
        droppedMessages += Int(start - log.startOffset)
        guard start > 0 else { continue }
        trimmed = true
        starts[slot] = start
        summary.starts.append(.init(topic: name, partition: partition, offset: start, cumulativeBytes: log.cumulativeBytes(through: start - 1)))
      }
      guard trimmed else { continue }
      summary.topics.append(.init(name: name, partitions: topic.partitionCount, createdAt: topic.createdAt, limits: topic.limits))
      for group in groups.sorted(by: { $0.key < $1.key }) {
        summary.groups.append(.init(
          topic: name, group: group.key.group, partitions: group.partitions.count,
          lastActivity: group.lastActivity, lastDeliveredAt: group.partitions.map(\.lastDeliveredAt)))
      }
    }
    summary.consumeKeys = broker.consumeKeys
      .filter { !isHeld($0.value.holder.topic, $0.value.holder.partition, $0.value.holder.offset) }
      .map { LogCompacted.HeldKey(key: $0.key, state: $0.value) }
      .sorted { ($0.key.topic, $0.key.group, $0.key.tag.tenant, $0.key.tag.key) < ($1.key.topic, $1.key.group, $1.key.tag.tenant, $1.key.tag.key) }
    for id in runs.order {
      guard let run = runs.runs[id] else { continue }
      let last = run.events.last?.at ?? run.createdAt
      if run.status.isTerminal, !pinnedRuns.contains(id), last < policy.runsCutoff { droppedRuns.insert(id) }
    }
  }

  private static func isDroppable(
    _ message: StoredMessage, at origin: MessageOrigin, _ broker: BrokerState, _ groups: [GroupState], _ policy: CompactionPolicy
  ) -> Bool {
    guard message.publishedAt < policy.ackedCutoff else { return false }
    if let (source, index) = broker.deadLetterIndex[origin] {
      guard broker.deadLetters[source]?[safe: index]?.isSettled == true else { return false }
    } else if groups.isEmpty {
      return false
    }
    return groups.allSatisfy { $0.partitions[safe: origin.partition]?.isAcked(origin.offset) == true }
  }

  /// Whether compaction would drop nothing (a summary an earlier compaction wrote stays
  /// true of the records it replaced, so it is no reason to rewrite).
  public var dropsNothing: Bool { droppedMessages == 0 && droppedRuns.isEmpty && deletions.isEmpty }

  /// Whether `record` stays. Records of kinds this build does not know always stay.
  public func keeps(_ record: WALRecord) throws(ReplayError) -> Bool {
    switch record.kind {
    case .logCompacted:
      return false  // replaced by `summary`
    case .topicDeleted:
      return false  // every record of the topic before it goes too
    case .runEvent:
      guard !droppedRuns.isEmpty else { return true }
      return !droppedRuns.contains(try RunEvent(decoding: record.payload).runID)
    case .messagePublished:
      guard !starts.isEmpty || !deletions.topics.isEmpty else { return true }
      // Topic, partition and offset lead the payload: the envelope need not be decoded.
      let origin = try EventCodec.decodeOrigin(record.payload)
      return !deletions.removes(topic: origin.topic, at: record.lsn) && isHeld(origin.topic, origin.partition, origin.offset)
    default:
      guard !starts.isEmpty || !deletions.isEmpty, let event = try EventCodec.decode(record) else { return true }
      return keeps(event, at: record.lsn)
    }
  }

  private func keeps(_ event: BrokerEvent, at lsn: UInt64) -> Bool {
    func keepsPlace(_ topic: String, _ group: String, _ partition: Int, _ offset: Int64) -> Bool {
      !deletions.removes(topic: topic, group: group, at: lsn) && isHeld(topic, partition, offset)
    }
    switch event {
    case .messageDelivered(let e): return keepsPlace(e.topic, e.group, e.partition, e.offset)
    case .messageAcked(let e): return keepsPlace(e.topic, e.group, e.partition, e.offset)
    case .messageNacked(let e): return keepsPlace(e.topic, e.group, e.partition, e.offset)
    case .messageSkipped(let e): return keepsPlace(e.topic, e.group, e.partition, e.offset)
    case .groupSeeked(let e): return !deletions.removes(topic: e.topic, group: e.group, at: lsn)
    case .messageDeadLettered(let e):
      // The source and its DLQ go together when the topic is deleted; a deleted group's
      // half is dropped, its copy stays while held.
      if deletions.removes(topic: e.source.topic, at: lsn) { return false }
      let copyHeld = isHeld(e.copy.topic, e.copy.partition, e.copy.offset)
      if deletions.removes(topic: e.source.topic, group: e.group, at: lsn) { return copyHeld }
      return isHeld(e.source.topic, e.source.partition, e.source.offset) || copyHeld
    case .messageRedriven(let e):
      if deletions.removes(topic: e.message.topic, at: lsn) { return false }
      let republished = isHeld(e.message.topic, e.message.partition, e.message.offset)
      if deletions.removes(topic: e.from.topic, at: lsn) { return republished }
      return isHeld(e.from.topic, e.from.partition, e.from.offset) || republished
    case .topicCreated(let e): return !deletions.removes(topic: e.name, at: lsn)
    case .groupDeleted(let e):
      if deletions.removes(topic: e.topic, at: lsn) { return false }
      return deletions.keepsGroupDeletion(GroupKey(topic: e.topic, group: e.group), at: lsn) { isHeld($0.topic, $0.partition, $1) }
    case .deadLettersPurged(let e):
      return e.copies.contains { !deletions.removes(topic: $0.topic, at: lsn) && isHeld($0.topic, $0.partition, $0.offset) }
    case .messagePublished, .logCompacted, .topicDeleted: return true
    }
  }

  /// Whether `record`, appended after planning, needs something the plan drops (then the
  /// plan is stale and compaction must not swap).
  public func conflicts(with record: WALRecord) throws(ReplayError) -> Bool {
    if record.kind == .runEvent || record.kind == .logCompacted { return try !keeps(record) }
    guard !starts.isEmpty, let event = try EventCodec.decode(record) else { return false }
    return event.offsetsReferred.contains { !isHeld($0.topic, $0.partition, $0.offset) }
  }

  private func isHeld(_ topic: String, _ partition: Int, _ offset: Int64) -> Bool {
    offset >= starts[Slot(topic: topic, partition: partition)] ?? 0
  }
}

extension WorkflowRun {
  /// Every artifact the run's events name: outputs (reused ones too), extra artifacts and
  /// the logs of attempts (failed ones too).
  public var referencedArtifacts: Set<String> {
    var ids: Set<String> = []
    for execution in executions {
      ids.formUnion(execution.artifacts)
      if case .artifact(let id, _)? = execution.output { ids.insert(id) }
      if let log = execution.log { ids.insert(log.artifactID) }
    }
    return ids
  }
}
