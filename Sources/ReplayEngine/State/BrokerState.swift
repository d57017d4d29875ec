import WALFormat

/// The broker as a pure fold of the log: topics, messages (by position), consumer groups,
/// leases and retries. The same fold serves every command, so all agree by construction.
public struct BrokerState: Sendable {
  public internal(set) var topics: [String: TopicState] = [:]
  public internal(set) var groups: [GroupKey: GroupState] = [:]
  /// The LSN of the last record folded in (0 before any).
  public internal(set) var lastLSN: UInt64 = 0
  public internal(set) var lastTime: WALTimestamp?
  /// Records of kinds this build does not know, skipped by the fold.
  public internal(set) var unknownRecords = 0

  public init() {}

  public var topicNames: [String] { topics.keys.sorted() }

  /// The cursor of `group` on `topic`'s `partition`; a fresh one if the group never consumed.
  public func cursor(topic: String, group: String, partition: Int) -> PartitionCursor {
    groups[GroupKey(topic: topic, group: group)]?.partitions[safe: partition] ?? PartitionCursor()
  }
}

extension Array {
  /// The element at `index`, or nil when out of range.
  subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
