import WALFormat

/// `topics delete`, `groups delete` and `dlq purge`: each decides what it removes (what a dry
/// run shows) and the events that remove it. The space is reclaimed by `wal compact`.
extension BrokerDecider {
  /// What deleting a topic removes: the topic, its DLQ topic and the groups on both.
  public struct TopicRemoval: Sendable, Equatable {
    public var topic: String
    public var partitions: Int
    /// Messages held in the topic and bytes of their keys and values.
    public var messages: Int
    public var bytes: Int64
    /// Messages held in `dlq.<topic>`.
    public var deadLetters: Int
    public var groups: [GroupKey]

    public init(topic: String, partitions: Int, messages: Int, bytes: Int64, deadLetters: Int, groups: [GroupKey]) {
      self.topic = topic
      self.partitions = partitions
      self.messages = messages
      self.bytes = bytes
      self.deadLetters = deadLetters
      self.groups = groups
    }
  }

  public static func deleteTopic(_ state: BrokerState, topic: String) throws(BrokerRejection) -> (plan: TopicRemoval, events: [BrokerEvent]) {
    guard let topicState = state.topics[topic] else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    if let source = sourceTopic(ofDeadLetterTopic: topic), state.deadLetters[source] != nil || state.topics[source] != nil {
      throw BrokerRejection(
        .invalidArgument, "\(topic) is the DLQ of \(source): remove its messages with dlq purge --topic \(source), or delete \(source) with its DLQ")
    }
    let deletion = TopicDeleted(name: topic)
    let names = Set(deletion.removedTopics)
    let held = topicState.partitions.reduce(Int64(0)) { $0 + $1.cumulativeBytes(through: $1.endIndex - 1) - $1.startCumulativeBytes }
    let plan = TopicRemoval(
      topic: topic, partitions: topicState.partitionCount, messages: topicState.messageCount, bytes: held,
      deadLetters: state.topics[deadLetterTopic(of: topic)]?.messageCount ?? 0,
      groups: state.groups.keys.filter { names.contains($0.topic) }.sorted())
    return (plan, [.topicDeleted(deletion)])
  }

  /// What deleting a group removes from one topic.
  public struct GroupRemoval: Sendable, Equatable {
    public var topic: String
    public var group: String
    public var partitions: Int
    /// Messages the group had not consumed yet, its live and expired leases, its pending retries.
    public var lag: Int64
    public var inflight: Int
    public var retries: Int

    public init(topic: String, group: String, partitions: Int, lag: Int64, inflight: Int, retries: Int) {
      self.topic = topic
      self.group = group
      self.partitions = partitions
      self.lag = lag
      self.inflight = inflight
      self.retries = retries
    }
  }

  public static func deleteGroup(_ state: BrokerState, topic: String, group: String, now: WALTimestamp) throws(BrokerRejection) -> (plan: GroupRemoval, events: [BrokerEvent]) {
    guard state.topics[topic] != nil else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    guard let groupState = state.groups[GroupKey(topic: topic, group: group)] else {
      throw BrokerRejection(.groupNotFound, "group \(group) has no state on \(topic): nothing to delete")
    }
    let rows = lagRows(state, group: group, topic: topic, now: now)
    let plan = GroupRemoval(
      topic: topic, group: group, partitions: groupState.partitions.count, lag: rows.reduce(0) { $0 + $1.lag },
      inflight: groupState.partitions.reduce(0) { $0 + $1.inflight.count }, retries: groupState.partitions.reduce(0) { $0 + $1.retries.count })
    return (plan, [.groupDeleted(GroupDeleted(topic: topic, group: group))])
  }

  /// The DLQ messages of `topic` a purge takes (redriven ones too: purging forgets them), oldest
  /// first, and the events that purge them, at most `DeadLettersPurged.maximumCopies` to a record.
  public static func purgeDeadLetters(
    _ state: BrokerState, topic: String, selection: DeadLetterSelection, now: WALTimestamp
  ) throws(BrokerRejection) -> (purged: [DeadLetterEntry], remaining: Int, events: [BrokerEvent]) {
    guard state.topics[topic] != nil else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    try requireOriginalTopic(state, topic)
    let present = (state.deadLetters[topic] ?? []).filter { $0.purgedAt == nil }
    var purged = present.filter { selection.matches($0, now: now) }
    if let maximum = selection.maximum { purged = Array(purged.prefix(maximum)) }
    var events: [BrokerEvent] = []
    var start = 0
    while start < purged.count {
      let end = min(start + DeadLettersPurged.maximumCopies, purged.count)
      events.append(.deadLettersPurged(DeadLettersPurged(source: topic, copies: purged[start..<end].map(\.copy))))
      start = end
    }
    return (purged, present.count - purged.count, events)
  }
}
