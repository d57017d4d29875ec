import WALFormat

/// A topic removed by `topics delete`, with its DLQ topic (`dlq.<name>`) and every group on
/// either. Its records before this one are reclaimed by the next compaction; a topic of the
/// same name created later starts empty.
public struct TopicDeleted: Sendable, Equatable {
  public var name: String
  public init(name: String) { self.name = name }

  /// The topics the deletion removes: the topic and its DLQ topic.
  public var removedTopics: [String] { [name, BrokerDecider.deadLetterTopic(of: name)] }
}

/// A consumer group removed by `groups delete`: its positions, leases, retries and consume
/// keys on one topic. Messages it alone held back become reclaimable.
public struct GroupDeleted: Sendable, Equatable {
  public var topic: String
  public var group: String
  public init(topic: String, group: String) {
    self.topic = topic
    self.group = group
  }
}

/// DLQ messages removed by `dlq purge`: they leave `dlq list` and `dlq redrive`, and
/// compaction reclaims them like redriven ones. One record names at most
/// `maximumCopies`, so a large purge is several bounded records.
public struct DeadLettersPurged: Sendable, Equatable {
  /// The topic whose DLQ they are in (`dlq.<source>`).
  public var source: String
  public var copies: [MessageOrigin]
  public static let maximumCopies = 4096

  public init(source: String, copies: [MessageOrigin]) {
    self.source = source
    self.copies = copies
  }
}
