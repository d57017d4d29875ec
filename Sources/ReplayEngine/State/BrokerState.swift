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
  /// Where the last `lostRecord` a salvage left is (nil: none folded). After one, a message
  /// that lands past its partition's head finds the messages damage destroyed before it:
  /// their offsets are kept as lost messages, which consumers skip.
  public internal(set) var lastLostRecord: RecordPosition?
  /// Offsets held by lost messages.
  public internal(set) var lostMessages = 0
  /// Produce-scope idempotency: the message each key first produced.
  public internal(set) var produceKeys: [ProduceKey: MessageOrigin] = [:]
  /// Consume-scope idempotency, per group.
  public internal(set) var consumeKeys: [ConsumeKey: ConsumeKeyState] = [:]
  /// Dead-lettered messages by source topic, oldest first.
  public internal(set) var deadLetters: [String: [DeadLetterEntry]] = [:]
  /// Where each DLQ message's entry is in `deadLetters`.
  var deadLetterIndex: [MessageOrigin: (source: String, index: Int)] = [:]

  public init() {}

  public var topicNames: [String] { topics.keys.sorted() }

  /// The cursor of `group` on `topic`'s `partition`; a fresh one if the group never consumed.
  public func cursor(topic: String, group: String, partition: Int) -> PartitionCursor {
    groups[GroupKey(topic: topic, group: group)]?.partitions[safe: partition]
      ?? PartitionCursor(position: topics[topic]?.partitions[safe: partition]?.startOffset ?? 0)
  }

  /// A new group on `topic`: each cursor at its partition's first held offset.
  func newGroup(_ key: GroupKey, on topic: TopicState, at time: WALTimestamp) -> GroupState {
    GroupState(key: key, partitions: topic.partitions.map { PartitionCursor(position: $0.startOffset) }, lastActivity: time)
  }
}

/// A message in `dlq.<topic>`, what happened to it, and whether it was redriven.
public struct DeadLetterEntry: Sendable, Equatable {
  /// Where the copy is in the DLQ topic.
  public var copy: MessageOrigin
  public var info: DeadLetterInfo
  public var key: [UInt8]
  /// Where `dlq redrive` republished it, once it has.
  public var redrivenTo: MessageOrigin?
  public var redrivenAt: WALTimestamp?
  /// When `dlq purge` removed it: it is no longer listed or redriven, and compaction may
  /// reclaim it.
  public var purgedAt: WALTimestamp?

  public init(
    copy: MessageOrigin, info: DeadLetterInfo, key: [UInt8], redrivenTo: MessageOrigin? = nil, redrivenAt: WALTimestamp? = nil,
    purgedAt: WALTimestamp? = nil
  ) {
    self.copy = copy
    self.info = info
    self.key = key
    self.redrivenTo = redrivenTo
    self.redrivenAt = redrivenAt
    self.purgedAt = purgedAt
  }

  /// Whether compaction may reclaim it: redriven (the republished copy carries on) or purged.
  public var isSettled: Bool { redrivenTo != nil || purgedAt != nil }
}

extension Array {
  /// The element at `index`, or nil when out of range.
  public subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
