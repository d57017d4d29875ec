import WALFormat

extension BrokerDecider {
  /// Where `groups seek` moves a group.
  public enum SeekTarget: Sendable, Equatable {
    case earliest
    case latest
    case offset(Int64)
    /// The first message published at or after this time.
    case time(WALTimestamp)
  }

  /// One partition's move: the next offset to deliver before and after.
  public struct SeekStep: Sendable, Equatable {
    public var partition: Int
    public var from: Int64
    public var to: Int64
    /// Leases and pending retries the move discards.
    public var discarded: Int
    public init(partition: Int, from: Int64, to: Int64, discarded: Int) {
      self.partition = partition
      self.from = from
      self.to = to
      self.discarded = discarded
    }
  }

  /// The plan of a seek, and the events that carry it out.
  public static func seek(
    _ state: BrokerState, topic: String, group: String, to target: SeekTarget, partition only: Int?
  ) throws -> (plan: [SeekStep], events: [BrokerEvent]) {
    if let problem = NameRules.problem(with: group, what: "group") { throw BrokerRejection(.invalidArgument, problem) }
    guard let topicState = state.topics[topic] else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    if let only, !(0..<topicState.partitionCount).contains(only) { throw BrokerRejection(.invalidArgument, "partition out of range") }
    var plan: [SeekStep] = []
    var events: [BrokerEvent] = []
    for partition in 0..<topicState.partitionCount where only == nil || only == partition {
      let cursor = state.cursor(topic: topic, group: group, partition: partition)
      let head = topicState.headOffset(partition)
      let start = topicState.partitions[partition].startOffset
      let destination: Int64
      switch target {
      case .earliest: destination = start
      case .latest: destination = head
      case .offset(let n):
        guard n >= start, n <= head else {
          throw BrokerRejection(.invalidArgument, n < start
            ? "offset \(n) of \(topic)/\(partition) was compacted away (the partition starts at \(start))"
            : "offset \(n) is beyond the head of \(topic)/\(partition) (\(head))")
        }
        destination = n
      case .time(let t):
        let messages = topicState.partitions[partition]
        destination = messages.firstIndex { $0.publishedAt >= t } ?? messages.endIndex
      }
      let step = SeekStep(partition: partition, from: cursor.committed + 1, to: destination, discarded: cursor.inflight.count + cursor.retries.count)
      plan.append(step)
      if step.from != step.to || step.discarded > 0 || !cursor.ackedAhead.isEmpty {
        events.append(.groupSeeked(GroupSeeked(topic: topic, group: group, partition: partition, offset: destination)))
      }
    }
    return (plan, events)
  }

  /// DriftQ's `/debug/topics/lag` row for one partition.
  public struct LagRow: Sendable, Equatable {
    public var group: String
    public var topic: String
    public var partition: Int
    /// Last produced offset + 1.
    public var headOffset: Int64
    /// Last contiguously acked offset + 1: the next offset to consume.
    public var committedOffset: Int64
    public var inflight: Int
    public var lag: Int64
    public var leaseOwners: [String]
    public var lastOwner: String?
    public var lastDeliveredAt: WALTimestamp?
    public var oldestLeaseAgeMs: Int64?
    public var leaseExpiresAt: WALTimestamp?
    /// A lease expired and nobody has taken the message since.
    public var stalled: Bool

    public init(
      group: String, topic: String, partition: Int, headOffset: Int64, committedOffset: Int64, inflight: Int, lag: Int64,
      leaseOwners: [String], lastOwner: String?, lastDeliveredAt: WALTimestamp?, oldestLeaseAgeMs: Int64?,
      leaseExpiresAt: WALTimestamp?, stalled: Bool
    ) {
      self.group = group
      self.topic = topic
      self.partition = partition
      self.headOffset = headOffset
      self.committedOffset = committedOffset
      self.inflight = inflight
      self.lag = lag
      self.leaseOwners = leaseOwners
      self.lastOwner = lastOwner
      self.lastDeliveredAt = lastDeliveredAt
      self.oldestLeaseAgeMs = oldestLeaseAgeMs
      self.leaseExpiresAt = leaseExpiresAt
      self.stalled = stalled
    }
  }

  /// Lag rows of `group`: on `topic` (every partition, even if the group never consumed), or
  /// on every topic the group has consumed. Sorted by topic, then partition.
  public static func lagRows(_ state: BrokerState, group: String, topic: String?, now: WALTimestamp) -> [LagRow] {
    let topics = topic.map { [$0] } ?? state.groups.keys.filter { $0.group == group }.map(\.topic).sorted()
    var rows: [LagRow] = []
    for name in topics {
      guard let topicState = state.topics[name] else { continue }
      for partition in 0..<topicState.partitionCount {
        let cursor = state.cursor(topic: name, group: group, partition: partition)
        let head = topicState.headOffset(partition)
        let leases = cursor.inflight.values
        let newest = leases.max { $0.deliveredAt < $1.deliveredAt }
        rows.append(LagRow(
          group: group, topic: name, partition: partition, headOffset: head, committedOffset: cursor.committed + 1,
          inflight: cursor.inflight.count, lag: max(0, head - (cursor.committed + 1)),
          leaseOwners: Array(Set(leases.map(\.owner))).sorted(), lastOwner: newest?.owner,
          lastDeliveredAt: cursor.lastDeliveredAt,
          oldestLeaseAgeMs: leases.map(\.deliveredAt).min().map { (now.nanoseconds - $0.nanoseconds) / 1_000_000 },
          leaseExpiresAt: leases.map(\.leaseDeadline).min(),
          stalled: leases.contains { $0.isExpired(at: now) }))
      }
    }
    return rows
  }
}
