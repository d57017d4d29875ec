import ReplayEngine
import WALFormat

/// `topics tail`'s one rule, for both faces (the local broker and `serve`'s
/// `/debug/topics/tail`): a topic's messages read with no group and no lease, from a start
/// per partition, oldest first across partitions, never those damage destroyed.
enum TopicTail {
  /// Where reading starts in each partition.
  enum Start: Sendable, Equatable {
    case earliest
    /// After the newest: only what is published from now on.
    case latest
    /// This offset in every partition (the partition's start when it lies below it).
    case offset(Int64)
    /// The first message published at or after this time.
    case time(WALTimestamp)

    /// `earliest`, `latest`, `OFFSET`, `@RFC3339` or `@-DURATION` (resolved against `now`).
    static func parse(_ text: String, now: WALTimestamp, command: [String]) throws(UsageError) -> Start {
      switch text {
      case "earliest": return .earliest
      case "latest": return .latest
      default:
        if let offset = Int64(text), offset >= 0 { return .offset(offset) }
        guard text.hasPrefix("@") else {
          throw UsageError("invalid value \"\(text)\" for --from: expected earliest, latest, an offset, @RFC3339 or @-DURATION", command: command)
        }
        switch try LogPosition.parse(text, option: "from", command: command).resolved(now: now) {
        case .time(let time): return .time(time)
        default: throw UsageError("invalid value \"\(text)\" for --from: expected @RFC3339 or @-DURATION", command: command)
        }
      }
    }

    /// As `serve` takes it in a query: the same words, a time as `@RFC3339`.
    var query: String {
      switch self {
      case .earliest: return "earliest"
      case .latest: return "latest"
      case .offset(let n): return String(n)
      case .time(let time): return "@" + RFC3339.format(time)
      }
    }
  }

  /// The next offset to read in each partition: where a followed tail resumes.
  typealias Cursor = [Int: Int64]

  /// The cursor of `start` for the partitions read.
  static func cursor(_ state: BrokerState, topic: String, partition: Int?, start: Start) throws(BrokerRejection) -> Cursor {
    let topicState = try self.topic(state, topic, partition: partition)
    var cursor: Cursor = [:]
    for (index, messages) in topicState.partitions.enumerated() where partition == nil || partition == index {
      switch start {
      case .earliest: cursor[index] = messages.startIndex
      case .latest: cursor[index] = messages.endIndex
      case .offset(let n): cursor[index] = min(max(n, messages.startIndex), messages.endIndex)
      case .time(let time):
        cursor[index] = messages.indices.first { !messages[$0].isLost && messages[$0].publishedAt >= time } ?? messages.endIndex
      }
    }
    return cursor
  }

  /// Up to `limit` messages from `cursor`, oldest first across partitions (by LSN), and the
  /// cursor after them.
  static func read(_ state: BrokerState, topic: String, cursor: Cursor, limit: Int) throws(BrokerRejection) -> (messages: [(partition: Int, offset: Int64, stored: StoredMessage)], next: Cursor) {
    let topicState = try self.topic(state, topic, partition: nil)
    var candidates: [(partition: Int, offset: Int64, stored: StoredMessage)] = []
    for (partition, from) in cursor {
      guard let messages = topicState.partitions[safe: partition] else { continue }
      var offset = max(from, messages.startIndex)
      var taken = 0
      while offset < messages.endIndex && taken < limit {
        let stored = messages[offset]
        if !stored.isLost {
          candidates.append((partition, offset, stored))
          taken += 1
        }
        offset += 1
      }
    }
    let chosen = Array(candidates.sorted { $0.stored.lsn < $1.stored.lsn }.prefix(limit))
    var next = cursor
    for message in chosen { next[message.partition] = max(next[message.partition] ?? 0, message.offset + 1) }
    // A partition whose candidates were all taken has also passed the lost messages after them.
    return (chosen, next)
  }

  private static func topic(_ state: BrokerState, _ topic: String, partition: Int?) throws(BrokerRejection) -> TopicState {
    guard let topicState = state.topics[topic] else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    if let partition, partition >= topicState.partitionCount {
      throw BrokerRejection(.invalidArgument, "partition \(partition) is out of range: topic \(topic) has \(topicState.partitionCount) partition\(topicState.partitionCount == 1 ? "" : "s")")
    }
    return topicState
  }

  /// One message as `topics tail` prints it: DriftQ's ConsumeItem (attempts 0, as nothing is
  /// leased), then `topic` and the publish `time`.
  static func item(_ message: MessagePublished, topic: String, time: WALTimestamp) -> String {
    let consumeItem = PayloadRendering.consumeItem(message, attempts: 0, lastError: "")
    return String(consumeItem.dropLast()) + ",\"topic\":" + JSONWriter.encode(.string(topic)) + ",\"time\":\"" + RFC3339.format(time) + "\"}"
  }

  /// `0:12,1:7`: a cursor in a query.
  static func encode(_ cursor: Cursor) -> String {
    cursor.keys.sorted().map { "\($0):\(cursor[$0] ?? 0)" }.joined(separator: ",")
  }

  static func decode(_ text: String) -> Cursor? {
    var cursor: Cursor = [:]
    for pair in text.split(separator: ",") {
      let parts = pair.split(separator: ":")
      guard parts.count == 2, let partition = Int(parts[0]), partition >= 0, partition < NameRules.maximumPartitions,
        let offset = Int64(parts[1]), offset >= 0
      else { return nil }
      cursor[partition] = offset
    }
    return cursor
  }
}
