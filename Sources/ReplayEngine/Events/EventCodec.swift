import WALFormat

/// The one place that turns events into record payloads and back (see `FieldCodec`).
public enum EventCodec {
  public static func encode(_ event: BrokerEvent) -> (RecordKind, [UInt8]) {
    var w = FieldWriter()
    switch event {
    case .topicCreated(let e):
      w.string(1, e.name)
      w.varint(2, UInt64(e.partitions))
      return (.topicCreated, w.bytes)
    case .messagePublished(let e):
      w.string(1, e.topic)
      w.varint(2, UInt64(e.partition))
      w.varint(3, UInt64(e.offset))
      if !e.key.isEmpty { w.bytes(4, e.key) }
      w.bytes(5, e.value)
      if !e.envelope.isEmpty { w.bytes(6, encode(e.envelope)) }
      return (.messagePublished, w.bytes)
    case .messageDelivered(let e):
      w.string(1, e.topic)
      w.string(2, e.group)
      w.varint(3, UInt64(e.partition))
      w.varint(4, UInt64(e.offset))
      w.string(5, e.owner)
      w.varint(6, UInt64(e.attempt))
      w.signed(7, e.leaseDeadline.nanoseconds)
      return (.messageDelivered, w.bytes)
    case .messageAcked(let e):
      w.string(1, e.topic)
      w.string(2, e.group)
      w.varint(3, UInt64(e.partition))
      w.varint(4, UInt64(e.offset))
      w.string(5, e.owner)
      return (.messageAcked, w.bytes)
    case .messageNacked(let e):
      w.string(1, e.topic)
      w.string(2, e.group)
      w.varint(3, UInt64(e.partition))
      w.varint(4, UInt64(e.offset))
      w.string(5, e.owner)
      w.string(6, e.reason)
      return (.messageNacked, w.bytes)
    }
  }

  /// The event in a record, or nil for a kind this build does not know (it is skipped).
  public static func decode(_ record: WALRecord) throws(ReplayError) -> BrokerEvent? {
    do {
      return try decode(kind: record.kind, payload: record.payload)
    } catch {
      var located = error
      located.lsn = record.lsn
      throw located
    }
  }

  public static func decode(kind: RecordKind, payload: [UInt8]) throws(ReplayError) -> BrokerEvent? {
    var r = FieldReader(payload)
    switch kind {
    case .topicCreated:
      var name = "", partitions = 0
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: name = try v.string()
        case 2: partitions = try v.int()
        default: break
        }
      }
      return .topicCreated(TopicCreated(name: name, partitions: partitions))
    case .messagePublished:
      var e = MessagePublished(topic: "", partition: 0, offset: 0, key: [], value: [], envelope: Envelope())
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: e.topic = try v.string()
        case 2: e.partition = try v.int()
        case 3: e.offset = try v.int64()
        case 4: e.key = try v.data()
        case 5: e.value = try v.data()
        case 6: e.envelope = try decodeEnvelope(try v.data())
        default: break
        }
      }
      return .messagePublished(e)
    case .messageDelivered:
      var e = MessageDelivered(topic: "", group: "", partition: 0, offset: 0, owner: "", attempt: 0, leaseDeadline: WALTimestamp(nanoseconds: 0))
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: e.topic = try v.string()
        case 2: e.group = try v.string()
        case 3: e.partition = try v.int()
        case 4: e.offset = try v.int64()
        case 5: e.owner = try v.string()
        case 6: e.attempt = try v.int()
        case 7: e.leaseDeadline = WALTimestamp(nanoseconds: try v.signed())
        default: break
        }
      }
      return .messageDelivered(e)
    case .messageAcked, .messageNacked:
      var topic = "", group = "", owner = "", reason = ""
      var partition = 0
      var offset: Int64 = 0
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: topic = try v.string()
        case 2: group = try v.string()
        case 3: partition = try v.int()
        case 4: offset = try v.int64()
        case 5: owner = try v.string()
        case 6: reason = try v.string()
        default: break
        }
      }
      if kind == .messageAcked {
        return .messageAcked(MessageAcked(topic: topic, group: group, partition: partition, offset: offset, owner: owner))
      }
      return .messageNacked(MessageNacked(topic: topic, group: group, partition: partition, offset: offset, owner: owner, reason: reason))
    default:
      return nil
    }
  }

  /// What the fold keeps of a published message, decoded without copying its key and value
  /// (folding a large log is dominated by those copies otherwise).
  struct PublicationSummary {
    var topic = ""
    var partition = 0
    var offset: Int64 = 0
    var bytes = 0
    var envelope = Envelope()
  }

  static func decodeSummary(ofPublication payload: [UInt8]) throws(ReplayError) -> PublicationSummary {
    var summary = PublicationSummary()
    var r = FieldReader(payload)
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: summary.topic = try v.string()
      case 2: summary.partition = try v.int()
      case 3: summary.offset = try v.int64()
      case 4, 5: if case .bytes(let b) = v { summary.bytes += b.count }
      case 6: summary.envelope = try decodeEnvelope(try v.data())
      default: break
      }
    }
    return summary
  }

  static func encode(_ envelope: Envelope) -> [UInt8] {
    var w = FieldWriter()
    w.optionalString(1, envelope.runID)
    w.optionalString(2, envelope.stepID)
    w.optionalString(3, envelope.parentStepID)
    w.optionalString(4, envelope.tenantID)
    w.optionalString(5, envelope.idempotencyKey)
    w.optionalString(6, envelope.targetTopic)
    if let deadline = envelope.deadline { w.signed(7, deadline.nanoseconds) }
    if let policy = envelope.retryPolicy, !policy.isEmpty {
      w.varint(8, UInt64(policy.maxAttempts))
      w.varint(9, UInt64(policy.backoffMs))
      w.varint(10, UInt64(policy.maxBackoffMs))
    }
    if let partition = envelope.partitionOverride { w.varint(11, UInt64(partition)) }
    for (key, value) in envelope.labels.sorted(by: { $0.key < $1.key }) {
      var pair = FieldWriter()
      pair.string(1, key)
      pair.string(2, value)
      w.bytes(12, pair.bytes)
    }
    return w.bytes
  }

  static func decodeEnvelope(_ bytes: [UInt8]) throws(ReplayError) -> Envelope {
    var e = Envelope()
    var r = FieldReader(bytes)
    var policy = RetryPolicy()
    var hasPolicy = false
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: e.runID = try v.string()
      case 2: e.stepID = try v.string()
      case 3: e.parentStepID = try v.string()
      case 4: e.tenantID = try v.string()
      case 5: e.idempotencyKey = try v.string()
      case 6: e.targetTopic = try v.string()
      case 7: e.deadline = WALTimestamp(nanoseconds: try v.signed())
      case 8: policy.maxAttempts = try v.int(); hasPolicy = true
      case 9: policy.backoffMs = try v.int64(); hasPolicy = true
      case 10: policy.maxBackoffMs = try v.int64(); hasPolicy = true
      case 11: e.partitionOverride = try v.int()
      case 12:
        var pair = FieldReader(try v.data())
        var key = "", value = ""
        while let (t, pv) = try pair.next() {
          if t == 1 { key = try pv.string() } else if t == 2 { value = try pv.string() }
        }
        e.labels[key] = value
      default: break
      }
    }
    if hasPolicy { e.retryPolicy = policy }
    return e
  }
}
