import WALFormat

/// What compaction leaves in place of the records it dropped: where each trimmed partition
/// now starts, and the groups whose records went with it. Folding it settles every offset
/// below a partition's start for every group and forgets those messages, their DLQ entries
/// and idempotency keys, exactly as the full log had them settled.
///
/// Compaction writes it at the LSN of the first record it dropped, which comes before every
/// kept record of a trimmed partition (offsets grow with LSNs within a partition).
public struct LogCompacted: Sendable, Equatable {
  public struct PartitionStart: Sendable, Equatable {
    public var topic: String
    public var partition: Int
    /// The first offset still held.
    public var offset: Int64
    /// Bytes of every message below `offset`.
    public var cumulativeBytes: Int64
  }

  /// A group on a trimmed topic, with the activity its dropped records carried.
  public struct GroupActivity: Sendable, Equatable {
    public var topic: String
    public var group: String
    public var partitions: Int
    public var lastActivity: WALTimestamp
    /// The latest delivery time per partition (nil where none).
    public var lastDeliveredAt: [WALTimestamp?]
  }

  /// A trimmed topic as it was created: a DLQ topic is created by a later record, yet its
  /// trim must come first.
  public struct TopicDefinition: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var createdAt: WALTimestamp
    public var limits: ProducerLimits
  }

  /// A consume-scope idempotency key whose holder was dropped: like DriftQ, a committed key
  /// is never forgotten, so a later message with the same key is still skipped.
  public struct HeldKey: Sendable, Equatable {
    public var key: ConsumeKey
    public var state: ConsumeKeyState
  }

  public var topics: [TopicDefinition] = []
  public var consumeKeys: [HeldKey] = []
  public var starts: [PartitionStart] = []
  public var groups: [GroupActivity] = []

  public init(topics: [TopicDefinition] = [], starts: [PartitionStart] = [], groups: [GroupActivity] = []) {
    self.topics = topics
    self.starts = starts
    self.groups = groups
  }

  var encoded: [UInt8] {
    var w = FieldWriter()
    for topic in topics {
      var t = FieldWriter()
      t.string(1, topic.name)
      t.varint(2, UInt64(topic.partitions))
      t.signed(3, topic.createdAt.nanoseconds)
      t.varint(4, UInt64(topic.limits.maxBufferedMessages))
      t.varint(5, UInt64(topic.limits.maxBufferedBytes))
      w.bytes(3, t.bytes)
    }
    for held in consumeKeys {
      var k = FieldWriter()
      k.string(1, held.key.tag.tenant)
      k.string(2, held.key.tag.key)
      k.string(3, held.key.topic)
      k.string(4, held.key.group)
      k.string(5, held.state.status.rawValue)
      k.bytes(6, EventCodec.encode(held.state.holder))
      k.string(7, held.state.owner)
      k.signed(8, held.state.leaseDeadline.nanoseconds)
      w.bytes(4, k.bytes)
    }
    for start in starts {
      var s = FieldWriter()
      s.string(1, start.topic)
      s.varint(2, UInt64(start.partition))
      s.varint(3, UInt64(start.offset))
      s.varint(4, UInt64(start.cumulativeBytes))
      w.bytes(1, s.bytes)
    }
    for group in groups {
      var g = FieldWriter()
      g.string(1, group.topic)
      g.string(2, group.group)
      g.varint(3, UInt64(group.partitions))
      g.signed(4, group.lastActivity.nanoseconds)
      for (partition, time) in group.lastDeliveredAt.enumerated() {
        guard let time else { continue }
        var d = FieldWriter()
        d.varint(1, UInt64(partition))
        d.signed(2, time.nanoseconds)
        g.bytes(5, d.bytes)
      }
      w.bytes(2, g.bytes)
    }
    return w.bytes
  }

  init(decoding payload: [UInt8]) throws(ReplayError) {
    var r = FieldReader(payload)
    while let (tag, v) = try r.next() {
      switch tag {
      case 1:
        var s = FieldReader(try v.data())
        var start = PartitionStart(topic: "", partition: 0, offset: 0, cumulativeBytes: 0)
        while let (t, f) = try s.next() {
          switch t {
          case 1: start.topic = try f.string()
          case 2: start.partition = try f.int()
          case 3: start.offset = try f.int64()
          case 4: start.cumulativeBytes = try f.int64()
          default: break
          }
        }
        starts.append(start)
      case 2:
        var g = FieldReader(try v.data())
        var group = GroupActivity(topic: "", group: "", partitions: 0, lastActivity: WALTimestamp(nanoseconds: 0), lastDeliveredAt: [])
        var delivered: [(Int, WALTimestamp)] = []
        while let (t, f) = try g.next() {
          switch t {
          case 1: group.topic = try f.string()
          case 2: group.group = try f.string()
          case 3: group.partitions = try f.int()
          case 4: group.lastActivity = WALTimestamp(nanoseconds: try f.signed())
          case 5:
            var d = FieldReader(try f.data())
            var partition = 0, time = WALTimestamp(nanoseconds: 0)
            while let (u, h) = try d.next() {
              if u == 1 { partition = try h.int() } else if u == 2 { time = WALTimestamp(nanoseconds: try h.signed()) }
            }
            delivered.append((partition, time))
          default: break
          }
        }
        guard (1...NameRules.maximumPartitions).contains(group.partitions) else {
          throw ReplayError(.badPayload, "compaction record: group \(group.group) with \(group.partitions) partitions")
        }
        group.lastDeliveredAt = Array(repeating: nil, count: group.partitions)
        for (partition, time) in delivered where group.lastDeliveredAt.indices.contains(partition) {
          group.lastDeliveredAt[partition] = time
        }
        groups.append(group)
      case 3:
        var t = FieldReader(try v.data())
        var topic = TopicDefinition(name: "", partitions: 0, createdAt: WALTimestamp(nanoseconds: 0), limits: ProducerLimits())
        while let (u, f) = try t.next() {
          switch u {
          case 1: topic.name = try f.string()
          case 2: topic.partitions = try f.int()
          case 3: topic.createdAt = WALTimestamp(nanoseconds: try f.signed())
          case 4: topic.limits.maxBufferedMessages = try f.int64()
          case 5: topic.limits.maxBufferedBytes = try f.int64()
          default: break
          }
        }
        guard (1...NameRules.maximumPartitions).contains(topic.partitions) else {
          throw ReplayError(.badPayload, "compaction record: topic \(topic.name) with \(topic.partitions) partitions")
        }
        topics.append(topic)
      case 4:
        var k = FieldReader(try v.data())
        var held = HeldKey(
          key: ConsumeKey(tag: IdempotencyTag(tenant: "", key: ""), topic: "", group: ""),
          state: ConsumeKeyState(status: .committed, holder: MessageOrigin(topic: "", partition: 0, offset: 0), owner: "", leaseDeadline: WALTimestamp(nanoseconds: 0)))
        while let (u, f) = try k.next() {
          switch u {
          case 1: held.key.tag.tenant = try f.string()
          case 2: held.key.tag.key = try f.string()
          case 3: held.key.topic = try f.string()
          case 4: held.key.group = try f.string()
          case 5:
            let text = try f.string()
            guard let status = IdempotencyStatus(rawValue: text) else { throw ReplayError(.badPayload, "compaction record: key status \(text)") }
            held.state.status = status
          case 6: held.state.holder = try EventCodec.decodeOrigin(try f.data())
          case 7: held.state.owner = try f.string()
          case 8: held.state.leaseDeadline = WALTimestamp(nanoseconds: try f.signed())
          default: break
          }
        }
        consumeKeys.append(held)
      default: break
      }
    }
  }
}
