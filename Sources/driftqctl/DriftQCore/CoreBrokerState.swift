import ReplayEngine
import WALFormat

/// What DriftQ-Core rebuilds from its broker WAL on start (contract §3.1), folded the same
/// way: messages in file order (a v1 topic has as many partitions as its highest partition
/// holding a message, plus one), committed offsets by maximum, retry state last-write-wins
/// and purged at or below the committed offset, consume idempotency COMMITTED/FAILED only.
struct CoreBrokerState {
  struct Position: Hashable, Comparable {
    var topic: String
    var group: String
    var partition: Int
    var offset: Int64
    static func < (a: Self, b: Self) -> Bool { (a.topic, a.group, a.partition, a.offset) < (b.topic, b.group, b.partition, b.offset) }
  }

  struct RetryState {
    var lastError: String
    var at: WALTimestamp?
  }

  struct ConsumeKey: Hashable {
    var tenant: String
    var topic: String
    var group: String
    var key: String
  }

  /// Every message in file order.
  private(set) var published: [MessagePublished] = []
  /// Topic names in first-seen order, and each topic's partitions' messages.
  private(set) var topicOrder: [String] = []
  private(set) var topics: [String: [[MessagePublished]]] = [:]
  /// Last acked offset per (topic, group, partition); `Position.offset` is unused (0).
  private(set) var committed: [Position: Int64] = [:]
  private(set) var retries: [Position: RetryState] = [:]
  private(set) var consumeKeys: [ConsumeKey: IdempotencyStatus] = [:]

  init(_ wal: CoreWALFile) throws {
    for entry in wal.entries {
      do { try apply(entry) } catch {
        throw CommandFailure(.corruption, "\(wal.path): line \(entry.line) (byte \(entry.byte)): \(error.message)")
      }
    }
    retries = retries.filter { position, _ in
      let key = Position(topic: position.topic, group: position.group, partition: position.partition, offset: 0)
      return position.offset > (committed[key] ?? -1)
    }
  }

  private mutating func apply(_ entry: CoreWALFile.Entry) throws(CoreEntryError) {
    let j = entry.json
    let topic = j["topic"]?.stringValue ?? ""
    let partition = Int(j["partition"]?.int64Value ?? 0)
    let offset = j["offset"]?.int64Value ?? 0
    let group = j["group"]?.stringValue ?? ""
    switch entry.type ?? 0 {
    case 1:
      let message = try CoreEntryDecoding.message(j)
      if topics[topic] == nil { topicOrder.append(topic) }
      var partitions = topics[topic] ?? []
      while partitions.count <= message.partition { partitions.append([]) }
      partitions[message.partition].append(message)
      topics[topic] = partitions
      published.append(message)
    case 2:
      guard !group.isEmpty else { throw CoreEntryError("offset entry without a group") }
      let key = Position(topic: topic, group: group, partition: partition, offset: 0)
      committed[key] = max(committed[key] ?? -1, offset)
    case 3:
      guard partition <= NameRules.maximumPartitions else { throw CoreEntryError("topic \(topic) with \(partition) partitions (at most \(NameRules.maximumPartitions))") }
      if topics[topic] == nil { topicOrder.append(topic) }
      var partitions = topics[topic] ?? []
      while partitions.count < partition { partitions.append([]) }
      topics[topic] = partitions
    case 4:
      guard !group.isEmpty else { return }  // DriftQ-Core ignores retry state without a group
      let at = j["last_error_at"]?.stringValue.flatMap(RFC3339.parse)
      retries[Position(topic: topic, group: group, partition: partition, offset: offset)] = RetryState(lastError: j["last_error"]?.stringValue ?? "", at: at)
    case 5:
      let status = IdempotencyStatus(rawValue: j["idempotency_status"]?.stringValue ?? "")
      guard status == .committed || status == .failed, let status else { return }
      let key = ConsumeKey(tenant: j["tenant_id"]?.stringValue ?? "", topic: topic, group: group, key: j["idempotency_key"]?.stringValue ?? "")
      consumeKeys[key] = status
    default:
      return  // DriftQ-Core ignores unknown types
    }
  }
}

/// An entry DriftQ-Core could not have written.
struct CoreEntryError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
