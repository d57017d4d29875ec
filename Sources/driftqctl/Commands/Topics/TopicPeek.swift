import ReplayEngine

/// Which messages a peek shows: a topic's oldest, in publish order, without leasing them (the
/// Go tool's peek was a consume that left its messages in flight in group `_peek`).
enum TopicPeek {
  static let maximum = 100

  /// Where the first `limit` messages of `topic` (or of one partition) are, oldest first.
  static func oldest(_ state: BrokerState, topic: String, partition: Int?, limit: Int) throws(BrokerRejection) -> [StoredMessage] {
    guard let topicState = state.topics[topic] else { throw BrokerRejection(.topicNotFound, "topic not found: \(topic)") }
    if let partition, partition >= topicState.partitionCount {
      throw BrokerRejection(.invalidArgument, "partition \(partition) is out of range: topic \(topic) has \(topicState.partitionCount) partition\(topicState.partitionCount == 1 ? "" : "s")")
    }
    var candidates: [StoredMessage] = []
    for (index, messages) in topicState.partitions.enumerated() where partition == nil || partition == index {
      // Each partition is already in log order: its first `limit` are its candidates
      // (messages lost to damage have no body to show).
      candidates += messages.lazy.filter { !$0.isLost }.prefix(limit)
    }
    return Array(candidates.sorted { $0.lsn < $1.lsn }.prefix(limit))
  }

  /// The members of DriftQ's `/debug/topics/peek` document before its `messages`.
  static func header(topic: String, limit: Int) -> [(String, JSONValue)] {
    [("ok", .bool(true)), ("topic", .string(topic)), ("limit", .int(limit))]
  }

  /// DriftQ's `/debug/topics/peek` document, from ConsumeItems already encoded.
  static func document(topic: String, limit: Int, items: [String]) -> String {
    let head = JSONWriter.encode(.object(header(topic: topic, limit: limit)))
    return head.dropLast() + ",\"messages\":[\(items.joined(separator: ","))]}"
  }
}
