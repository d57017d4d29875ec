import WALFormat

/// What the lifecycle records of a sealed prefix removed (`topics delete`, `groups delete`,
/// `runs delete`), gathered while folding it: compaction drops the records they removed.
///
/// A record of a deleted topic or group goes when it comes before the deletion (a topic or
/// group of the same name made later is another one). One exception keeps a group deletion
/// itself: a dead-letter record of the group stays while its DLQ copy is held, and folding
/// it brings the group back, so the deletion must follow it again.
public struct CompactionDeletions: Sendable {
  public typealias Slot = BrokerDecider.TopicPartition

  /// Per topic (a deleted topic and its DLQ topic), the LSN of its last deletion.
  public private(set) var topics: [String: UInt64] = [:]
  /// Per group, the LSN of its last deletion.
  public private(set) var groups: [GroupKey: UInt64] = [:]
  /// Per group, the highest DLQ offset on each DLQ partition its dead-letters created: the
  /// deletion stays while any of them is held (holding is a prefix cut, so the highest tells).
  private var copies: [GroupKey: [Slot: Int64]] = [:]
  public private(set) var runs: Set<String> = []
  /// Messages the deleted topics held when deleted (for the report).
  public private(set) var messages = 0

  public init() {}

  private static let runDeletedBytes = Array("\"\(RunEventType.runDeleted)\"".utf8)

  public var isEmpty: Bool { topics.isEmpty && groups.isEmpty && runs.isEmpty }

  /// Notes `record` of the prefix, before it is folded into `state`.
  public mutating func note(_ record: WALRecord, before state: BrokerState) throws(ReplayError) {
    switch record.kind {
    case .topicDeleted, .groupDeleted, .messageDeadLettered:
      guard let event = try EventCodec.decode(record) else { return }
      switch event {
      case .topicDeleted(let e):
        for name in e.removedTopics {
          topics[name] = record.lsn
          messages += state.topics[name]?.messageCount ?? 0
        }
      case .groupDeleted(let e):
        groups[GroupKey(topic: e.topic, group: e.group)] = record.lsn
      case .messageDeadLettered(let e):
        let slot = Slot(topic: e.copy.topic, partition: e.copy.partition)
        let key = GroupKey(topic: e.source.topic, group: e.group)
        copies[key, default: [:]][slot] = max(copies[key]?[slot] ?? -1, e.copy.offset)
      default: break
      }
    case .runEvent:
      // Most run events are not deletions: only those naming the type are decoded.
      guard record.payload.firstRange(of: Self.runDeletedBytes) != nil else { return }
      let event = try RunEvent(decoding: record.payload)
      if event.type == RunEventType.runDeleted { runs.insert(event.runID) }
    default: break
    }
  }

  /// Whether a record at `lsn` about `topic` comes before the topic's deletion.
  func removes(topic: String, at lsn: UInt64) -> Bool { lsn < topics[topic] ?? 0 }

  /// Whether a record at `lsn` about `group` on `topic` comes before the group's (or the topic's) deletion.
  func removes(topic: String, group: String, at lsn: UInt64) -> Bool {
    removes(topic: topic, at: lsn) || lsn < groups[GroupKey(topic: topic, group: group)] ?? 0
  }

  /// Whether a group deletion at `lsn` stays: it is the group's last, and a dead-letter of the
  /// group before it stays because its copy is held.
  func keepsGroupDeletion(_ key: GroupKey, at lsn: UInt64, isHeld: (Slot, Int64) -> Bool) -> Bool {
    guard groups[key] == lsn, let highest = copies[key] else { return false }
    return highest.contains { slot, offset in isHeld(slot, offset) }
  }
}
